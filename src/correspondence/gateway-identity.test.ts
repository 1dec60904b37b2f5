import { describe, expect, it } from 'vitest';
import { isGatewayIdentity } from './gateway-identity.js';

const GATEWAY = { issuer: 'https://vans.example', subject: 'vans-gateway' };

describe('isGatewayIdentity', () => {
  it.each([
    ['the configured issuer and subject', [GATEWAY], GATEWAY, true],
    ['one of several configured', [{ issuer: 'https://other.example', subject: 'x' }, GATEWAY], GATEWAY, true],
    ['the right issuer, another subject', [GATEWAY], { issuer: GATEWAY.issuer, subject: 'someone-else' }, false],
    ['the right subject from another issuer', [GATEWAY], { issuer: 'https://idp.aalborg.example', subject: GATEWAY.subject }, false],
    ['issuer and subject of two different entries', [GATEWAY, { issuer: 'https://b.example', subject: 'b' }], { issuer: GATEWAY.issuer, subject: 'b' }, false],
    ['nothing configured', [], GATEWAY, false],
    ['a subject differing only in case', [GATEWAY], { issuer: GATEWAY.issuer, subject: 'VANS-GATEWAY' }, false],
  ])('%s', (_what, identities, caller, expected) => {
    expect(isGatewayIdentity(identities, caller)).toBe(expected);
  });
});
