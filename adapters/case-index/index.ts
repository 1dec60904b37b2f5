export { createCaseIndexAdapter, type CaseIndexAdapterOptions } from './case-index-adapter.js';
export { buildFremsoegRequest, type FremsoegQuery } from './fremsoeg-request.js';
export { parseFremsoegResponse, isSoapFault, type IndexCase, type ParsedFremsoeg } from './fremsoeg-response.js';
export { mapIndexCases, type CaseMappingOptions } from './case-index-mapper.js';
export { mapProgressStatus, mapSensitivity, kleMatches } from './case-status.js';
export * from './namespaces.js';
