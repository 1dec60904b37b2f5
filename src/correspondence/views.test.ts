import { describe, expect, it } from 'vitest';
import { parseCareCommunication, type JsonObject } from '../../adapters/medcom/index.js';
import { fixtureBundle, protocolExampleName } from '../../test/helpers/medcom-samples.js';
import type { MessageRow } from './store.js';
import { toDetail, toThread } from './views.js';

function rowOf(bundle: JsonObject, extra: Partial<MessageRow> = {}): MessageRow {
  const parsed = parseCareCommunication(bundle);
  const at = new Date('2026-11-01T10:00:00Z');
  return {
    id: '00000000-0000-4000-8000-000000000001', direction: 'in', organisation_sor: parsed.receiver.sor ?? '', organisation_ean: parsed.receiver.gln ?? '',
    counterpart_sor: parsed.sender.sor ?? '', counterpart_ean: parsed.sender.gln ?? '', patient_cpr: parsed.patient.cpr ?? '', kind: 'new',
    category: parsed.category ?? 'other', topic: parsed.topic ?? null, bundle_id: parsed.bundleId ?? '', message_header_id: parsed.messageHeaderId ?? '',
    previous_message_header_id: null, episode_of_care_id: null, thread_key: parsed.messageHeaderId ?? '', status: 'received', encoding: 'json',
    bundle, acknowledgement_sent: null, acknowledgement_received: null, acknowledgement_code: 'ok', attempts: 0, resends: 0, failure: null,
    read_at: null, created_at: at, updated_at: at, sent_at: null, acknowledged_at: at, request_id: null, ...extra,
  } as MessageRow;
}
const organizations = (b: JsonObject): JsonObject[] =>
  (b['entry'] as JsonObject[]).map((e) => e['resource'] as JsonObject).filter((r) => r['resourceType'] === 'Organization');
const header = (b: JsonObject): JsonObject => (b['entry'] as JsonObject[])[0]?.['resource'] as JsonObject;

describe('the read view names sender and receiver', () => {
  const directory = { sender: 'Navn fra SOR (afsender)', receiver: 'Navn fra SOR (modtager)' };
  it.each([
    ['Organization.name in the message', (_b: JsonObject) => undefined, 'Almen praksis 2', 'Aarhus Trøjborg Apotek'],
    ['no Organization.name: the directory (SOR) name', (b: JsonObject) => organizations(b).forEach((o) => delete o['name']), directory.sender, directory.receiver],
    ['a blank Organization.name: the directory name', (b: JsonObject) => organizations(b).forEach((o) => (o['name'] = ' ')), directory.sender, directory.receiver],
    ['no Organization.name but the reference display', (b: JsonObject) => {
      organizations(b).forEach((o) => delete o['name']);
      (header(b)['sender'] as JsonObject)['display'] = 'Visningsnavn';
    }, 'Visningsnavn', directory.receiver],
  ])('%s', (_what, change, sender, receiver) => {
    const bundle = fixtureBundle('EG_Clinea.json');
    change(bundle);
    const detail = toDetail(rowOf(bundle), directory);
    expect([detail.sender.name, detail.receiver.name]).toEqual([sender, receiver]);
  });

  it("names the parties of MedCom's R-Tek-D (no Organization.name) from the directory, and none without one", () => {
    const bundle = fixtureBundle(protocolExampleName('receive', 'R-Tek-D'));
    expect(toDetail(rowOf(bundle), directory)).toMatchObject({ sender: { name: directory.sender }, receiver: { name: directory.receiver } });
    expect(toDetail(rowOf(bundle))).toMatchObject({ sender: { sor: '441211000016000', name: null }, receiver: { sor: '330461000016004', name: null } });
  });

  it('shows every CPR and replacement CPR, the attachments with their signature and URL, and the category name', () => {
    const cpr2 = toDetail(rowOf(fixtureBundle(protocolExampleName('receive', 'R-Tek-CPR-2'))));
    expect(cpr2.patient.identifiers.map((i) => i.kind).sort()).toEqual(['cpr', 'replacement-cpr', 'replacement-cpr']);
    const tekA = toDetail(rowOf(fixtureBundle(protocolExampleName('receive', 'R-Tek-A'))));
    expect(tekA.attachments).toHaveLength(7);
    expect(tekA.attachments.every((a) => a.title && a.date)).toBe(true);
    expect(tekA.attachments[0]).toMatchObject({ author: { name: 'Michael Burns' }, contentType: 'application/pdf', hasContent: true });
    expect(tekA.attachments.find((a) => a.url)).toMatchObject({ url: 'https://medcom.dk/', hasContent: false });
    expect(tekA.categoryDisplay).toBe('Vedr. henvisning');
  });
});

describe('toThread', () => {
  it('orders by when written and lists the replies to each message', () => {
    const reply = fixtureBundle(protocolExampleName('receive', 'R-Tek-H'));
    const original = fixtureBundle(protocolExampleName('receive', 'R-Tek-I'));
    const i = parseCareCommunication(original);
    const rows = [
      rowOf(reply, { id: '00000000-0000-4000-8000-00000000000a', kind: 'reply', previous_message_header_id: i.messageHeaderId ?? null, created_at: new Date('2026-11-01T10:00:00Z') }),
      rowOf(original, { id: '00000000-0000-4000-8000-00000000000b', created_at: new Date('2026-11-01T11:00:00Z') }),
    ];
    const thread = toThread(rows);
    expect(thread.map((t) => t.kind)).toEqual(['new', 'reply']);
    expect(thread[0]?.repliedBy).toEqual([parseCareCommunication(reply).messageHeaderId]);
  });
});
