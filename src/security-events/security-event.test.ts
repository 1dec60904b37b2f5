import { describe, expect, it } from 'vitest';
import { type SecurityEvent, securityEventLine } from './security-event.js';
import { parseSecurityEventsSink } from './security-events.js';

const CPRS = ['1503124013', '150312-4013', '3101057JC9'];

describe('security event lines', () => {
  it.each(CPRS)('carry no CPR (%s) whichever field it was put in', (cpr) => {
    const event: SecurityEvent = {
      type: 'access-denied',
      at: new Date('2026-12-02T10:00:00Z'),
      requestId: cpr,
      actor: { issuer: `https://idp.example/${cpr}`, subject: cpr, organisation: `org ${cpr}`, role: cpr },
      reason: `denied for ${cpr}`,
      details: { [cpr]: cpr, list: [cpr, `(${cpr}), z ${cpr}.`, cpr.includes('J') ? cpr : `user${cpr}x`], n: 3, flag: true, none: null },
    };
    const line = securityEventLine(event);
    for (const c of CPRS) expect(line).not.toContain(c);
    expect(line).not.toMatch(/\d{6}-?\d{4}/);
    expect(JSON.parse(line)).toMatchObject({ kind: 'security-event', type: 'access-denied', severity: 'notice', at: '2026-12-02T10:00:00.000Z', details: { n: 3, flag: true, none: null } });
  });

  it('keeps SOR codes and record positions, which are not CPR numbers', () => {
    const line = securityEventLine({ type: 'integrity-failure', at: new Date(0), reason: 'chain-broken', actor: { organisation: '265161000016000' }, details: { firstBrokenRecord: '1234567' } });
    expect(JSON.parse(line)).toMatchObject({ severity: 'critical', actor: { organisation: '265161000016000' }, details: { firstBrokenRecord: '1234567' } });
  });
});

describe('BROKER_SECURITY_EVENTS', () => {
  it.each<[string | undefined, unknown, number]>([
    [undefined, { kind: 'off' }, 0],
    ['stdout', { kind: 'stdout' }, 0],
    ['udp://127.0.0.1:514', { kind: 'syslog', transport: 'udp', host: '127.0.0.1', port: 514 }, 0],
    ['tcp://siem.region.example:6514', { kind: 'syslog', transport: 'tcp', host: 'siem.region.example', port: 6514 }, 0],
    ['tcp://[::1]:514', { kind: 'syslog', transport: 'tcp', host: '::1', port: 514 }, 0],
    ['syslog', { kind: 'off' }, 1],
    ['udp://host:99999', { kind: 'off' }, 1],
  ])('%s', (text, sink, problems) => {
    const found: string[] = [];
    expect(parseSecurityEventsSink(text, found)).toEqual(sink);
    expect(found).toHaveLength(problems);
  });
});
