export { parseSorStream, type SorInput } from './parser.js';
export { parseSorFile } from './read-file.js';
export { SorParseError, type SorParseErrorCode } from './errors.js';
export { glnCheckDigit, isValidGln, withGlnCheckDigit } from '../../domain/identifiers.js';
export { isValidSorCode, sorCodeFromItem } from './sor-code.js';
export { resolveInheritedEans, checkParentCycles, type EanHolder, type ParentLink } from './inheritance.js';
export { SOR_OWNER_TYPE, ownerKindOf, type SorOwnerKind } from './owner-types.js';
export { normaliseMunicipalityCode } from './entity-builder.js';
export { toOrganisation } from './to-organisation.js';
export {
  writeSorEntity,
  sorTreeOpen,
  SOR_TREE_CLOSE,
  SOR_XML_BOM,
  escapeXml,
  type SorEntitySpec,
  type SorEanSpec,
  type SorAddressSpec,
} from './xml-writer.js';
export {
  SOR_NAMESPACE,
  type SorEntityRecord,
  type SorEanLocation,
  type SorAddress,
  type SorAddressKind,
  type SorParseOptions,
  type SorHeader,
} from './types.js';
