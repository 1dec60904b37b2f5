import { describe, expect, it } from 'vitest';
import { buildCareCommunication, parseCareCommunication } from '../../adapters/medcom/index.js';
import { fixedClock, sequentialIds } from '../../test/helpers/medcom-samples.js';
import { compareThreadEntries, messageKindOf, previousHeaderOf, threadKeyOf, writtenAtOf } from './thread.js';

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

describe('conversation order: by when the messages were written, not by arrival', () => {
  it("MedCom's R-Tek-H (a reply) and R-Tek-I (the new message it answers, arriving after it) order I first", async () => {
    const { fixtureBundle, protocolExampleName } = await import('../../test/helpers/medcom-samples.js');
    const reply = parseCareCommunication(fixtureBundle(protocolExampleName('receive', 'R-Tek-H')));
    const original = parseCareCommunication(fixtureBundle(protocolExampleName('receive', 'R-Tek-I')));
    expect(threadKeyOf(reply)).toBe(threadKeyOf(original));
    const h = { writtenAt: writtenAtOf(reply) ?? '', kind: messageKindOf(reply), storedAt: '2026-01-01T10:00:00Z', id: 'h' };
    const i = { writtenAt: writtenAtOf(original) ?? '', kind: messageKindOf(original), storedAt: '2026-01-01T10:05:00Z', id: 'i' };
    expect([h, i].sort(compareThreadEntries).map((e) => e.id)).toEqual(['i', 'h']);
  });

  it('a message is dated by its own segments, not the earlier ones it repeats', () => {
    const first = parseCareCommunication(buildCareCommunication({ ...base, kind: 'new', sender: gp, receiver: bup, ids: sequentialIds('a'), clock: () => new Date('2026-01-01T08:00:00Z') }));
    const reply = parseCareCommunication(buildCareCommunication({ ...base, kind: 'reply', previous: first, sender: bup, receiver: gp, ids: sequentialIds('b'), clock: () => new Date('2026-01-02T08:00:00Z') }));
    expect(writtenAtOf(first)).toBe('2026-01-01T08:00:00.000Z');
    expect(writtenAtOf(reply)).toBe('2026-01-02T08:00:00.000Z');
  });

  it.each([
    // a, b, expected order
    [{ writtenAt: '2026-01-01T10:00:00+01:00', kind: 'reply' }, { writtenAt: '2026-01-01T09:30:00Z', kind: 'new' }, ['a', 'b']], // offsets compared as instants
    [{ writtenAt: '2026-01-01T10:00:00Z', kind: 'reply' }, { writtenAt: '2026-01-01T10:00:00Z', kind: 'new' }, ['b', 'a']], // equal: the initiator first
    [{ writtenAt: '2026-01-01T10:00:00Z', kind: 'reply', storedAt: '2026-01-01T10:02:00Z' }, { writtenAt: '2026-01-01T10:00:00Z', kind: 'reply', storedAt: '2026-01-01T10:01:00Z' }, ['b', 'a']], // equal replies: by arrival
    [{ writtenAt: '2026-01-02T10:00:00Z', kind: 'new' }, { writtenAt: '2026-01-01T10:00:00Z', kind: 'forward' }, ['b', 'a']],
  ])('%j vs %j', (a, b, order) => {
    const entries = [
      { storedAt: '2026-01-01T00:00:00Z', ...a, id: 'a' },
      { storedAt: '2026-01-01T00:00:00Z', ...b, id: 'b' },
    ];
    expect(entries.sort(compareThreadEntries).map((e) => e.id)).toEqual(order);
  });
});
