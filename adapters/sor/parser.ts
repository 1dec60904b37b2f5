/**
 * Streaming SOR XML parser: reads the national SOR export chunk by chunk with saxes and yields
 * one record per entity as soon as the entity's own data element has closed, so parents always
 * come before their children. Only the chain of open ancestors and the set of SOR codes seen
 * (for the duplicate check) stay in memory, never the document or the records.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import type { EntityLevel } from '../../src/directory/model.js';
import { EntityBuilder } from './entity-builder.js';
import { SorParseError, type SorParseErrorCode } from './errors.js';
import { isValidSorCode } from './sor-code.js';
import { SOR_NAMESPACE, type SorEntityRecord, type SorParseOptions } from './types.js';

export type SorInput = AsyncIterable<Uint8Array | string> | NodeJS.ReadableStream;

interface EntityKind {
  readonly level: EntityLevel;
  readonly data: string;
  readonly allowedParents: readonly string[];
}

const ENTITY_WRAPPERS: Readonly<Record<string, EntityKind>> = {
  InstitutionOwnerEntity: { level: 'institution-owner', data: 'InstitutionOwner', allowedParents: ['SorTree'] },
  HealthInstitutionEntity: { level: 'health-institution', data: 'HealthInstitution', allowedParents: ['InstitutionOwnerEntity'] },
  OrganizationalUnitEntity: {
    level: 'organisational-unit',
    data: 'OrganizationalUnit',
    allowedParents: ['HealthInstitutionEntity', 'OrganizationalUnitEntity'],
  },
};

/** What children need to know about an ancestor that has been emitted. */
interface Emitted {
  readonly sor: string;
  readonly regionCode: string | null;
  readonly municipalityCode: string | null;
  readonly ownerType: string | null;
}

interface Frame {
  readonly wrapper: string;
  readonly kind: EntityKind;
  readonly wrapperDepth: number;
  readonly depth: number;
  builder: EntityBuilder | null;
  dataDepth: number;
  emitted: Emitted | null;
}

/**
 * V8 keeps substrings of 13+ characters as views into the string they were cut from, here the
 * whole decoded chunk. Copying them lets a caller keep every SOR code (to compare snapshots)
 * without keeping every chunk of the file alive with it.
 */
function detach(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

/** Parses a SOR XML export, yielding one record per entity in document order. */
export async function* parseSorStream(
  input: SorInput,
  opts: SorParseOptions = {},
): AsyncGenerator<SorEntityRecord, void, undefined> {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const fileName = opts.fileName;
  const elements: string[] = [];
  const frames: Frame[] = [];
  const seen = new Set<string>();
  const pending: SorEntityRecord[] = [];
  let text = '';
  let capturing = false;
  let rootSeen = false;
  let rootClosed = false;
  let headerSent = false;
  let createdAt: string | null = null;
  let snapshotDate: string | null = null;

  const fail = (code: SorParseErrorCode, message: string, element: string | null, cause?: unknown): never => {
    throw new SorParseError(code, message, parser.line, parser.column, element, fileName, { cause });
  };

  const sendHeader = (): void => {
    if (headerSent) return;
    headerSent = true;
    opts.onHeader?.({ createdAt, snapshotDate });
  };

  const top = (): Frame | undefined => frames[frames.length - 1];

  // saxes closes the open element before reporting a mismatched close tag; name that element.
  let lastClosed: string | null = null;
  parser.on('error', (err: Error) => {
    const message = err.message.replace(/^\d+:\d+: /, '');
    const element = message.startsWith('unexpected close tag') ? lastClosed : (elements[elements.length - 1] ?? null);
    fail('malformed-xml', message, element, err);
  });

  parser.on('text', (t: string) => {
    if (capturing) text += t;
  });
  parser.on('cdata', (t: string) => {
    if (capturing) text += t;
  });

  parser.on('opentag', (tag: SaxesTagNS) => {
    const local = tag.local;
    const depth = elements.length;
    const parent = elements[depth - 1];
    if (depth === 0) {
      if (local !== 'SorTree') fail('wrong-root', `root element is <${tag.name}>, expected <SorTree>`, local);
      if (tag.uri !== SOR_NAMESPACE) {
        fail('wrong-namespace', `root namespace is "${tag.uri}", expected "${SOR_NAMESPACE}"`, local);
      }
      rootSeen = true;
    }
    elements.push(local);
    text = '';
    capturing = false;
    if (depth === 1) {
      capturing = local === 'CreatedAtTime' || local === 'SnapshotDate';
    }

    const kind = ENTITY_WRAPPERS[local];
    if (kind !== undefined && depth > 0) {
      if (parent === undefined || !kind.allowedParents.includes(parent)) {
        fail('misplaced-entity', `<${local}> inside <${parent ?? '(none)'}>`, local);
      }
      sendHeader();
      const enclosing = top();
      if (enclosing !== undefined && enclosing.emitted === null) {
        fail('missing-element', `<${enclosing.kind.data}> with SorIdentifier must come before nested <${local}>`, enclosing.wrapper);
      }
      frames.push({
        wrapper: local, kind, wrapperDepth: depth, depth: frames.length,
        builder: null, dataDepth: -1, emitted: null,
      });
      return;
    }

    const frame = top();
    if (frame === undefined) return;
    if (frame.builder === null && frame.emitted === null && depth === frame.wrapperDepth + 1 && local === frame.kind.data) {
      frame.builder = new EntityBuilder(frame.kind.level, parser.line);
      frame.dataDepth = depth;
      return;
    }
    if (frame.builder !== null && depth > frame.dataDepth) {
      frame.builder.open(elements.slice(frame.dataDepth + 1));
      capturing = true;
    }
  });

  parser.on('closetag', (tag: SaxesTagNS) => {
    const local = tag.local;
    const depth = elements.length - 1;
    const value = detach(text.trim());
    text = '';
    capturing = false;
    lastClosed = local;

    if (depth === 0) {
      rootClosed = true;
      sendHeader();
      elements.pop();
      return;
    }
    if (depth === 1) {
      if (local === 'CreatedAtTime') createdAt = value;
      else if (local === 'SnapshotDate') snapshotDate = value;
    }

    const frame = top();
    if (frame !== undefined) {
      if (depth === frame.wrapperDepth) {
        if (frame.emitted === null) {
          fail('missing-element', `<${local}> has no <${frame.kind.data}> with SorIdentifier and EntityName`, local);
        }
        frames.pop();
      } else if (frame.builder !== null && depth === frame.dataDepth) {
        pending.push(finish(frame, frame.builder));
        frame.builder = null;
      } else if (frame.builder !== null && depth > frame.dataDepth) {
        const path = elements.slice(frame.dataDepth + 1);
        if (frame.builder.close(path, value)) checkSorCode(value, local);
      }
    }
    elements.pop();
  });

  const checkSorCode = (sor: string, local: string): void => {
    if (!isValidSorCode(sor)) {
      // The value is not echoed: a malformed file could hold anything here, even a CPR number.
      fail('invalid-sor-code', `a SOR code of ${sor.length} characters is not 11-18 digits in SOR's namespace (…1000016 + 3 digits)`, local);
    }
    if (seen.has(sor)) fail('duplicate-sor', `SOR code ${sor} occurs more than once`, local);
    seen.add(sor);
  };

  const finish = (frame: Frame, b: EntityBuilder): SorEntityRecord => {
    const dataName = frame.kind.data;
    const sor = b.sor;
    if (sor === null) return fail('missing-element', `<${dataName}> lacks required <SorIdentifier>`, dataName);
    const name = b.name;
    if (name === null) return fail('missing-element', `<${dataName}> ${sor} lacks required <EntityName>`, dataName);
    const parent = frames[frames.length - 2]?.emitted ?? null;
    const ownerType = frame.kind.level === 'institution-owner' ? b.ownerType : (parent?.ownerType ?? b.ownerType);
    const regionCode = b.ownRegionCode() ?? parent?.regionCode ?? null;
    const municipalityCode = b.ownMunicipalityCode() ?? parent?.municipalityCode ?? null;
    frame.emitted = { sor, regionCode, municipalityCode, ownerType };
    return {
      sor,
      parentSor: parent?.sor ?? null,
      level: frame.kind.level,
      depth: frame.depth,
      name,
      unitType: b.unitType,
      ownerType,
      ydernummer: b.ydernummer,
      shakCode: b.shakCode,
      pharmacyId: b.pharmacyId,
      addresses: b.addresses,
      phones: b.phones,
      faxes: b.faxes,
      emails: b.emails,
      websites: b.websites,
      specialities: b.specialities,
      validFrom: b.validFrom,
      validTo: b.validTo,
      updatedAt: b.updatedAt,
      firstValidFrom: b.firstValidFrom,
      replacedBy: b.replacedBy,
      replaces: b.replaces,
      eans: b.eans,
      eanInheritedIndicator: b.eanInheritedIndicator,
      regionCode,
      municipalityCode,
      geographicalParentSor: b.geographicalParentSor,
      declaredParentSor: b.declaredParentSor,
      line: b.line,
    };
  };

  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (chunk: unknown, stream: boolean): string => {
    if (typeof chunk === 'string') return chunk;
    if (chunk instanceof Uint8Array) {
      try {
        return decoder.decode(chunk, { stream });
      } catch (err) {
        return fail('malformed-xml', 'the file is not valid UTF-8', elements[elements.length - 1] ?? null, err);
      }
    }
    return fail('malformed-xml', 'input chunks must be strings or bytes', null);
  };

  // Records completed before a failure in the same chunk are still handed out first.
  const feed = function* (chunk: string): Generator<SorEntityRecord, void, undefined> {
    let failure: unknown = null;
    try {
      parser.write(chunk);
    } catch (err) {
      failure = err;
    }
    yield* pending.splice(0, pending.length);
    if (failure !== null) throw failure;
  };

  for await (const chunk of input as AsyncIterable<unknown>) {
    yield* feed(decode(chunk, true));
  }
  yield* feed(decode(new Uint8Array(0), false));

  if (!rootSeen) fail('truncated', 'the document ended before its root element <SorTree>', null);
  if (!rootClosed) {
    const open = elements[elements.length - 1] ?? 'SorTree';
    fail('truncated', `the document ended before </SorTree> (inside <${open}>): the file is truncated`, open);
  }
  parser.close();
}
