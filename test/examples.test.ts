/** The example configuration files in docs/ stay valid. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { readSourcesFile } from '../src/lookup/sources.js';

describe('documented examples', () => {
  it('docs/examples/sources.example.json is a valid sources file', () => {
    const config = readSourcesFile('docs/examples/sources.example.json');
    expect(config.sources.map((s) => s.kind)).toEqual(['gp', 'child-psychiatry', 'ppr', 'family']);
    expect(config.personRegister?.timeoutMs).toBe(1000);
  });
  it('docs/examples/issuers.example.json is a valid trusted-issuer list', () => {
    const config = loadConfig({ BROKER_TRUSTED_ISSUERS_FILE: 'docs/examples/issuers.example.json' });
    expect(config.trustedIssuers.map((i) => i.organisations)).toEqual([['9520011000016001'], ['9500011000016001'], ['9500011000016001']]);
    // Only the gateway's own issuer may assert medcom-gateway; the region's STS gets the staff-role default.
    expect(config.trustedIssuers.map((i) => i.roles)).toEqual([['caseworker', 'agreement-admin', 'auditor'], undefined, ['medcom-gateway']]);
  });
});
