import { describe, expect, it } from 'vitest';
import { buildCareCommunication, type CareCommunicationInput } from './care-communication-build.js';
import { parseCareCommunication } from './care-communication-parse.js';
import { validateCareCommunication } from './care-communication-validate.js';
import { fhirJsonToXml, fhirXmlToJson } from './fhir-xml.js';
import { obj, objects, type JsonObject } from './json.js';
import { PROFILE } from './medcom-terminology.js';
import { CARE_COMMUNICATION_SAMPLES, fixedClock, fixtureBundle, sequentialIds } from '../../test/helpers/medcom-samples.js';

const PDF = Buffer.from('%PDF-1.4\n% test document\n%%EOF\n');
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

function baseInput(overrides: Partial<CareCommunicationInput> = {}): CareCommunicationInput {
  return {
    kind: 'new',
    sender: { sor: '265161000016000', gln: '5790000209354', name: 'Børne- og Ungdomspsykiatrien' },
    receiver: { sor: '953741000016009', gln: '5790001348120', name: 'PPR Herlev Kommune' },
    author: { given: ['Emma'], family: 'Waters', role: 'laege', roleDisplay: 'Læge', phone: '38683868' },
    patient: { cpr: '0101101234', family: 'Hansen', given: ['Alma'] },
    category: 'psychiatry-social-disability',
    topic: 'Samarbejde om skolestart',
    text: 'Vi foreslår et fælles møde.\nVenlig hilsen',
    attachments: [
      { contentType: 'application/pdf', title: 'Statusnotat', data: PDF },
      { contentType: 'image/png', title: 'Tegning', data: PNG.toString('base64') },
    ],
    ids: sequentialIds('b'),
    clock: fixedClock,
    ...overrides,
  };
}

const types = (bundle: JsonObject): string[] => objects(bundle['entry']).map((e) => String(obj(e['resource'])?.['resourceType']));
const resourcesOf = (bundle: JsonObject, type: string): JsonObject[] =>
  objects(bundle['entry'])
    .map((e) => obj(e['resource']))
    .filter((r): r is JsonObject => r?.['resourceType'] === type);

describe('buildCareCommunication: a new message', () => {
  const bundle = buildCareCommunication(baseInput());

  it('passes our own validation', () => {
    expect(validateCareCommunication(bundle)).toEqual([]);
  });

  it('follows the IG layout: MessageHeader first, one Patient, profiles from the IG', () => {
    expect(bundle['type']).toBe('message');
    expect(obj(bundle['meta'])?.['profile']).toEqual([PROFILE.careCommunicationMessage]);
    expect(types(bundle)[0]).toBe('MessageHeader');
    expect(types(bundle).filter((t) => t === 'Patient')).toHaveLength(1);
    const header = resourcesOf(bundle, 'MessageHeader')[0];
    expect(obj(header?.['meta'])?.['profile']).toEqual([PROFILE.careCommunicationMessageHeader]);
    const destination = objects(header?.['destination'])[0];
    expect(obj(objects(destination?.['extension'])[0]?.['valueCoding'])?.['code']).toBe('primary');
    expect(destination?.['endpoint']).toBe('https://sor2.sum.dsdn.dk/#id=953741000016009');
    for (const org of resourcesOf(bundle, 'Organization')) {
      expect(obj(org['meta'])?.['profile']).toEqual([PROFILE.messagingOrganization]);
    }
    for (const entry of objects(bundle['entry'])) {
      expect(obj(obj(entry['resource'])?.['text'])?.['div']).toMatch(/^<div xmlns="http:\/\/www.w3.org\/1999\/xhtml">/);
    }
  });

  it('reads back as what was asked for', () => {
    const m = parseCareCommunication(bundle);
    expect(m.sender).toMatchObject({ sor: '265161000016000', gln: '5790000209354', name: 'Børne- og Ungdomspsykiatrien' });
    expect(m.receiver).toMatchObject({ sor: '953741000016009', gln: '5790001348120' });
    expect(m.patient).toMatchObject({ cpr: '0101101234', family: 'Hansen', given: ['Alma'] });
    expect(m.category).toBe('psychiatry-social-disability');
    expect(m.payloads[0]).toMatchObject({
      text: 'Vi foreslår et fælles møde.\nVenlig hilsen',
      date: '2026-11-23T10:00:00Z',
      author: { name: 'Emma Waters', role: 'laege' },
      authorContact: '38683868',
    });
    expect(m.attachments.map((a) => [a.contentType, a.title, a.size])).toEqual([
      ['application/pdf', 'Statusnotat', PDF.length],
      ['image/png', 'Tegning', PNG.length],
    ]);
    expect(m.provenances).toEqual([
      expect.objectContaining({ activity: 'new-message', targetMessageHeaderId: m.messageHeaderId }),
    ]);
    expect(m.provenances[0]?.payloadIdentifiers).toEqual(m.payloads.map((p) => p.identifier));
  });

  it('is deterministic for the same ids and clock', () => {
    expect(buildCareCommunication(baseInput({ ids: sequentialIds('b') }))).toEqual(bundle);
  });

  it('carries priority only where asked and a replacement CPR when there is no CPR', () => {
    const m = parseCareCommunication(
      buildCareCommunication(
        baseInput({
          category: 'regarding-referral',
          priority: 'asap',
          patient: { replacementCpr: { value: '3101057JC9' }, family: 'Hansen', given: ['Alma'] },
        }),
      ),
    );
    expect(m.priority).toBe('asap');
    expect(m.patient.replacementCpr).toBe('3101057JC9');
  });

  it('adds a named recipient or a care team', () => {
    const withPerson = parseCareCommunication(
      buildCareCommunication(baseInput({ recipient: { kind: 'practitioner', given: ['Jens'], family: 'Jensen', role: 'sygeplejerske' } })),
    );
    expect(withPerson.recipient).toMatchObject({ kind: 'PractitionerRole', name: 'Jens Jensen', role: 'sygeplejerske' });
    const withTeam = parseCareCommunication(buildCareCommunication(baseInput({ recipient: { kind: 'care-team', name: 'Skoleteam Nord' } })));
    expect(withTeam.recipient).toEqual({ kind: 'CareTeam', name: 'Skoleteam Nord' });
  });

  it('survives JSON -> XML -> JSON with every field we read intact', () => {
    const back = fhirXmlToJson(fhirJsonToXml(bundle)).resource;
    const { bundle: _a, ...before } = parseCareCommunication(bundle);
    const { bundle: _b, ...after } = parseCareCommunication(back);
    expect(after).toEqual(before);
    expect(back).toEqual(bundle);
  });
});

describe('buildCareCommunication: replies and forwards to the real samples', () => {
  it.each(CARE_COMMUNICATION_SAMPLES)('a reply to %s validates and carries the earlier Provenances', (name) => {
    const previous = parseCareCommunication(fixtureBundle(name));
    const reply = buildCareCommunication(
      baseInput({
        kind: 'reply',
        previous,
        sender: { sor: previous.receiver.sor ?? '', gln: previous.receiver.gln ?? '', name: previous.receiver.name ?? 'Modtager' },
        receiver: { sor: previous.sender.sor ?? '', gln: previous.sender.gln ?? '', name: previous.sender.name ?? 'Afsender' },
        category: 'other',
        topic: 'Svar',
        text: 'Tak for beskeden.',
        attachments: [],
      }),
    );
    expect(validateCareCommunication(reply).filter((i) => i.severity === 'error')).toEqual([]);
    const m = parseCareCommunication(reply);
    const earlierIds = previous.provenances.map((p) => p.id);
    expect(m.provenances.map((p) => p.id)).toEqual(expect.arrayContaining(earlierIds));
    const newest = m.provenances[m.provenances.length - 1];
    expect(newest).toMatchObject({
      activity: 'reply-message',
      targetMessageHeaderId: m.messageHeaderId,
      previousMessageHeaderId: previous.messageHeaderId,
    });
    // The earlier message segments travel along with their authors.
    expect(m.payloads.map((p) => p.text)).toEqual(['Tak for beskeden.', ...previous.payloads.map((p) => p.text)]);
    expect(m.payloads.slice(1).map((p) => p.author?.name)).toEqual(previous.payloads.map((p) => p.author?.name));
    expect(m.patientCount).toBe(1);
  });

  it('a forward gets forward-message and references the forwarded MessageHeader', () => {
    const previous = parseCareCommunication(fixtureBundle('Systematic_ColumnaCura.json'));
    const forward = buildCareCommunication(baseInput({ kind: 'forward', previous, attachments: [] }));
    expect(validateCareCommunication(forward).filter((i) => i.severity === 'error')).toEqual([]);
    const m = parseCareCommunication(forward);
    expect(m.provenances.map((p) => p.activity)).toEqual(['new-message', 'forward-message']);
    expect(m.provenances[1]?.previousMessageHeaderId).toBe('826a4243-4e74-447c-b003-0563bd4f7670');
  });

  it('a reply leaves out earlier attachment content but keeps its identifier', () => {
    const previous = parseCareCommunication(fixtureBundle('Flow1-CareCommunication_Ex_from_OIOXML.xml'));
    const reply = buildCareCommunication(baseInput({ kind: 'reply', previous, attachments: [] }));
    const m = parseCareCommunication(reply);
    const earlier = m.payloads.find((p) => p.identifier === 'urn:uuid:c39ea6b2-6052-45e4-a207-415e0205ab6f');
    expect(earlier?.attachment).toMatchObject({ contentType: 'application/pdf', title: 'billede' });
    expect(earlier?.attachment?.data).toBeUndefined();
    expect(validateCareCommunication(reply).filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('a reply to a message with a communication identifier reuses it; a forward renews it', () => {
    const previous = parseCareCommunication(fixtureBundle('EG_Clinea.json'));
    const reply = parseCareCommunication(buildCareCommunication(baseInput({ kind: 'reply', previous })));
    expect(reply.communicationIdentifier).toBe('urn:uuid:c0976d26-b20b-4778-94d8-3159b6427845');
    const forward = parseCareCommunication(buildCareCommunication(baseInput({ kind: 'forward', previous })));
    expect(forward.communicationIdentifier).not.toBe('urn:uuid:c0976d26-b20b-4778-94d8-3159b6427845');
  });

  it('a forward carries earlier attachments in full', () => {
    const previous = parseCareCommunication(fixtureBundle('Flow1-CareCommunication_Ex_from_OIOXML.xml'));
    const m = parseCareCommunication(buildCareCommunication(baseInput({ kind: 'forward', previous, attachments: [] })));
    expect(m.attachments).toEqual([expect.objectContaining({ title: 'billede', size: 4297 })]);
  });

  it('a reply carries the episode-of-care identifier it received', () => {
    const bundle = fixtureBundle('Flow1-CareCommunication_Ex_from_OIOXML.xml');
    const encounter = objects(bundle['entry'])
      .map((e) => obj(e['resource']))
      .find((r) => r?.['resourceType'] === 'Encounter');
    if (!encounter) throw new Error('sample has no Encounter');
    encounter['episodeOfCare'] = [{ identifier: { value: '39dadacc87614d0e96f0f202b24a79c0' } }];
    const previous = parseCareCommunication(bundle);
    expect(previous.episodeOfCareIdentifier).toBe('39dadacc87614d0e96f0f202b24a79c0');
    const m = parseCareCommunication(buildCareCommunication(baseInput({ kind: 'reply', previous, attachments: [] })));
    expect(m.episodeOfCareIdentifier).toBe('39dadacc87614d0e96f0f202b24a79c0');
  });

  it('refuses a reply without the previous message', () => {
    expect(() => buildCareCommunication(baseInput({ kind: 'reply' }))).toThrow(/previous message/);
  });
});

describe("buildCareCommunication: MedCom's send-protocol rules for replies and forwards", () => {
  const previousOf = async (id: string) => {
    const { protocolExampleName } = await import('../../test/helpers/medcom-samples.js');
    const direction = id.startsWith('S-') ? 'send' : 'receive';
    return parseCareCommunication(fixtureBundle(protocolExampleName(direction, id)));
  };
  it.each([
    // example, kind, CPR and replacement CPR identifiers the answer must carry
    ['R-Tek-CPR-1', 'reply', 2],
    ['R-Tek-CPR-2', 'reply', 3],
    ['S-Tek-CPR', 'reply', 2],
    ['R-Tek-CPR-2', 'forward', 3],
  ] as const)('a %s to %s carries every CPR number of the Patient (%i)', async (id, kind, count) => {
    const previous = await previousOf(id);
    const answer = parseCareCommunication(buildCareCommunication(baseInput({
      kind, previous, attachments: [],
      patient: { ...(previous.patient.cpr ? { cpr: previous.patient.cpr } : { replacementCpr: { value: previous.patient.replacementCpr ?? '' } }), family: previous.patient.family ?? 'x', given: previous.patient.given },
    })));
    expect(answer.patient.identifiers.map((i) => i.value).sort()).toEqual(previous.patient.identifiers.map((i) => i.value).sort());
    expect(answer.patient.identifiers).toHaveLength(count);
  });

  it.each([['S-Tek-A', 'reply'], ['S-Tek-B', 'forward']] as const)('a %s %s keeps the episode-of-care identifier', async (id, kind) => {
    const previous = await previousOf(id);
    expect(previous.episodeOfCareIdentifier).toBeDefined();
    const answer = parseCareCommunication(buildCareCommunication(baseInput({ kind, previous, attachments: [] })));
    expect(answer.episodeOfCareIdentifier).toBe(previous.episodeOfCareIdentifier);
  });

  it('a reply repeats an earlier link attachment with its URL, and earlier files without their content', async () => {
    const previous = await previousOf('R-Tek-A');
    const reply = parseCareCommunication(buildCareCommunication(baseInput({ kind: 'reply', previous, attachments: [] })));
    const earlier = reply.attachments;
    expect(earlier.find((a) => a.title === 'Link til MedComs hjemmeside')?.url).toBe('https://medcom.dk/');
    expect(earlier.filter((a) => a.data !== undefined)).toEqual([]);
  });
});
