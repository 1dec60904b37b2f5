/** Recognises attachment content from its first bytes, to check a declared content type. */

export type SniffedContentType = 'application/pdf' | 'image/png' | 'image/jpeg' | 'image/gif' | 'image/tiff';

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return signature.every((b, i) => bytes[i] === b);
}

export function sniffContentType(bytes: Uint8Array): SniffedContentType | undefined {
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf'; // %PDF-
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38]) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) {
    return 'image/gif';
  }
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'image/tiff';
  return undefined;
}

const ALIASES: Readonly<Record<string, SniffedContentType>> = {
  'application/pdf': 'application/pdf',
  'image/png': 'image/png',
  'image/jpeg': 'image/jpeg',
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/gif': 'image/gif',
  'image/tiff': 'image/tiff',
  'image/tif': 'image/tiff',
};

/** The sniffable type a declared content type stands for (parameters and case ignored). */
export function normaliseContentType(declared: string): SniffedContentType | undefined {
  return ALIASES[declared.split(';')[0]?.trim().toLowerCase() ?? ''];
}

/**
 * False when the declared type is one we can recognise and the bytes are something else. Types we
 * cannot sniff (text, Word documents) are not judged.
 */
export function contentMatchesDeclaredType(declared: string, bytes: Uint8Array): boolean {
  const expected = normaliseContentType(declared);
  if (!expected) return true;
  return sniffContentType(bytes) === expected;
}
