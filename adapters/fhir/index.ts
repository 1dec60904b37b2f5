export { createFhirSourceAdapter, type FhirSourceAdapterOptions } from './fhir-source-adapter.js';
export { createFhirClient, parseFhirBody, type FhirClientOptions } from './fhir-client.js';
export { mapEpisodes, type MappedEpisodes } from './episode-mapper.js';
export { searchAllPages, type SearchResult, type SearchOptions } from './search-pages.js';
export { boundedFetch, createSourceConnections, DEFAULT_MAX_CONNECTIONS, looksLikeHtml, type BoundedResponse, type BoundedFetchOptions, type SourceConnections } from './bounded-fetch.js';
export * from './identifiers.js';
