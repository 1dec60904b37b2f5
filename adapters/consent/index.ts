export { createConsentService, type ConsentService, type ConsentServiceOptions } from './consent-service.js';
export { mapConsent, type MappedConsent } from './consent-mapper.js';
export { ACTOR_ROLE, CONSENT_SYSTEMS, type ConsentOutcome, type ConsentRecord } from './consent-record.js';
export { consentResource, type ConsentResourceInput } from './consent-resource.js';
