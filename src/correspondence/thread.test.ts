import { describe, expect, it } from 'vitest';
import { buildCareCommunication, parseCareCommunication } from '../../adapters/medcom/index.js';
import { fixedClock, sequentialIds } from '../../test/helpers/medcom-samples.js';
import { messageKindOf, previousHeaderOf, threadKeyOf } from './thread.js';

const gp = { sor: '9510031000016003', gln: '5790009110002', name: 'Lægepraksis' };
const bup = { sor: '9500041000016004', gln: '5790009100034', name: 'BUP Team Aalborg' };
const ppr = { sor: '9520041000016004', gln: '5790009120049', name: 'PPR Aalborg' };
const base = {
  author: { given: ['Anne'], family: 'Kjærsgaard', role: 'laege', phone: '98123456' },
  patient: { cpr: '0101201234', given: ['Emma'], family: 'Jensen' },
  category: 'carecoordination' as const,
  text: 'Hej',
  clock: fixedClock,
};

describe('conversation keys', () => {
  it('a new message, its reply and a forward of the reply share the key of the first message', () => {
    const first = parseCareCommunication(buildCareCommunication({ ...base, kind: 'new', sender: gp, receiver: bup, ids: sequentialIds('a') }));
    const reply = parseCareCommunication(buildCareCommunication({ ...base, kind: 'reply', previous: first, sender: bup, receiver: gp, ids: sequentialIds('b') }));
    const forward = parseCareCommunication(buildCareCommunication({ ...base, kind: 'forward', previous: reply, sender: bup, receiver: ppr, ids: sequentialIds('c') }));
    expect(threadKeyOf(first)).toBe(first.messageHeaderId);
    expect(threadKeyOf(reply)).toBe(first.messageHeaderId);
    expect(threadKeyOf(forward)).toBe(first.messageHeaderId);
    expect([messageKindOf(first), messageKindOf(reply), messageKindOf(forward)]).toEqual(['new', 'reply', 'forward']);
    expect(previousHeaderOf(first)).toBeNull();
    expect(previousHeaderOf(reply)).toBe(first.messageHeaderId);
    expect(previousHeaderOf(forward)).toBe(reply.messageHeaderId);
  });

  it('a conversation begun outside FHIR (no new-message Provenance) is keyed by its earliest Provenance', () => {
    const view = {
      messageHeaderId: 'h3',
      provenances: [
        { activity: 'reply-message', targetMessageHeaderId: 'h3', occurred: '2026-02-01T10:00:00Z', payloadIdentifiers: [] },
        { activity: 'reply-message', targetMessageHeaderId: 'h2', occurred: '2026-01-01T10:00:00Z', payloadIdentifiers: [] },
      ],
    };
    expect(threadKeyOf(view)).toBe('h2');
  });
});
