/** Why a SOR file was rejected; every parse failure is one of these. */
export type SorParseErrorCode =
  | 'malformed-xml'
  | 'truncated'
  | 'wrong-root'
  | 'wrong-namespace'
  | 'duplicate-sor'
  | 'invalid-sor-code'
  | 'missing-element'
  | 'misplaced-entity';

/** A SOR file that cannot be imported, with the position in the file where it went wrong. */
export class SorParseError extends Error {
  override readonly name = 'SorParseError';
  constructor(
    readonly code: SorParseErrorCode,
    message: string,
    /** 1-based line and column of the offending spot (as far as the XML reader has got). */
    readonly line: number,
    readonly column: number,
    /** Local name of the element concerned, when there is one. */
    readonly element: string | null,
    readonly fileName?: string,
    options?: { cause?: unknown },
  ) {
    super(`${fileName ?? 'SOR XML'}:${line}:${column}: ${message}`, options);
  }
}
