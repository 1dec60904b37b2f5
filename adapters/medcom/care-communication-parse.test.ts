import { describe, expect, it } from 'vitest';
import { parseCareCommunication, plainText } from './care-communication-parse.js';
import { MedComFormatError } from './errors.js';
import { obj, objects, type JsonObject } from './json.js';
import { fixtureBundle } from '../../test/helpers/medcom-samples.js';

function resourceOf(bundle: JsonObject, type: string): JsonObject {
  const found = objects(bundle['entry'])
    .map((e) => obj(e['resource']))
    .find((r) => r?.['resourceType'] === type);
  if (!found) throw new Error(`no ${type}`);
  return found;
}

describe('parseCareCommunication on the real samples', () => {
  it('EG Clinea (GP system, JSON)', () => {
    const m = parseCareCommunication(fixtureBundle('EG_Clinea.json'));
    expect(m.bundleId).toBe('e9ef0cf3-5386-4d81-b90e-73e5775e480e');
    expect(m.messageHeaderId).toBe('0299fc10-b86a-4fcf-bb41-ba3940027497');
    expect(m.eventCode).toBe('care-communication-message');
    expect(m.sender).toMatchObject({ sor: '323041000016001', gln: '5790000120048', name: 'Almen praksis 2' });
    expect(m.receiver).toMatchObject({ sor: '307411000016009', gln: '5790000173174', name: 'Aarhus Trøjborg Apotek' });
    expect(m.patient).toMatchObject({ cpr: '2509479989', family: 'Test', given: ['Elmer Bruno'] });
    expect(m.category).toBe('other');
    expect(m.topic).toBe('New care communication');
    expect(m.payloads).toHaveLength(1);
    expect(m.payloads[0]).toMatchObject({
      text: 'Care communication 3.3.1.1',
      identifier: 'urn:uuid:754c3992-5376-4846-a34e-c75ecf0ae0dd',
      date: '2026-07-21T13:53:30.115+05:30',
      author: { kind: 'PractitionerRole', name: 'test test', role: 'sygeplejerske' },
      authorContact: '22556699',
    });
    expect(m.attachments).toEqual([]);
    expect(m.provenances).toEqual([
      expect.objectContaining({
        activity: 'new-message',
        targetMessageHeaderId: '0299fc10-b86a-4fcf-bb41-ba3940027497',
        occurred: '2026-08-06T16:55:19.85+05:30',
        payloadIdentifiers: ['urn:uuid:754c3992-5376-4846-a34e-c75ecf0ae0dd'],
      }),
    ]);
    expect(m.notes).toEqual([]);
  });

  it('Systematic Columna Cura (municipal, JSON, CareTeam sender, named recipient)', () => {
    const m = parseCareCommunication(fixtureBundle('Systematic_ColumnaCura.json'));
    expect(m.sender).toMatchObject({ sor: '937961000016000', gln: '5790000123117', name: 'Systematic Care' });
    expect(m.receiver).toMatchObject({ sor: '554771000016008', gln: '5790002015748' });
    expect(m.receiver.name).toBe('Afdeling for Bioinformatik, Statens Serum Institut');
    expect(m.patient).toMatchObject({ cpr: '2509479989', family: 'Elmer', given: ['Bruno'] });
    expect(m.payloads[0]?.text).toBe('test');
    expect(m.payloads[0]?.author).toMatchObject({ name: 'Amin Aminson', role: 'bioanalytiker' });
    expect(m.senderPerson).toEqual({ kind: 'CareTeam', name: 'Systematic' });
    expect(m.recipient).toMatchObject({ kind: 'PractitionerRole', name: 'Jens Jensen', role: 'afdelingslaege' });
  });

  it('Systematic Columna CIS (hospital, minified XML)', () => {
    const m = parseCareCommunication(fixtureBundle('Systematic_ColumnaCis.xml'));
    expect(m.sender).toMatchObject({ sor: '271321000016001', gln: '5790000180141', name: 'Mave- og Tarmkirurgi - Randers' });
    expect(m.receiver).toMatchObject({ sor: '927021000016008', gln: '5790000187508', name: 'Onkologisk Klinik ONK' });
    expect(m.patient).toMatchObject({ cpr: '2509479989', family: 'Jensen', given: ['Jesper'] });
    expect(m.topic).toBe('Henvisning');
    expect(m.payloads[0]?.text).toBe('3.3.1.11 send protokol');
    expect(m.payloads[0]?.author?.name).toBe('Dorothea Eberhardt Vandervoort');
    expect(m.attachments).toEqual([]);
  });

  it('Flow1 converted from OIOXML (XML, PDF attachment, markup in the text)', () => {
    const m = parseCareCommunication(fixtureBundle('Flow1-CareCommunication_Ex_from_OIOXML.xml'));
    expect(m.sender).toMatchObject({ sor: '359001000016000', gln: '5790001382445' });
    expect(m.receiver).toMatchObject({ sor: '328051000016008', gln: '5790000121441', name: 'Hjemmeplejen, Odense Kommune' });
    expect(m.patient).toMatchObject({ cpr: '2512489996', family: 'Berggren', given: ['Nancy', 'Ann'] });
    expect(m.payloads).toHaveLength(2);
    expect(m.payloads[0]?.text).toMatch(/^Denne meddelelse har h.j prioritet\. <br\/>/);
    expect(m.payloads[0]?.plainText).toContain('som et "korrespondancebrev".\n');
    expect(m.attachments).toHaveLength(1);
    expect(m.attachments[0]).toMatchObject({ contentType: 'application/pdf', title: 'billede', size: 4297 });
    expect(m.attachments[0]?.data?.startsWith('JVBERi0')).toBe(true);
    expect(m.notes).toContain('payload 1 text holds escaped markup');
    expect(m.notes.some((n) => n.includes('replacement characters'))).toBe(true);
  });
});

describe('tolerant reading', () => {
  const CPR = '2509479989';

  it('accepts nanoseconds and an offset without colon, and notes it', () => {
    const bundle = fixtureBundle('EG_Clinea.json');
    bundle['timestamp'] = '2026-07-21T13:53:30.115123456+0530';
    const m = parseCareCommunication(bundle);
    expect(m.timestamp).toBe('2026-07-21T13:53:30.115+05:30');
    expect(m.notes.join(' ')).toMatch(/Bundle\.timestamp: more than millisecond precision truncated, offset written without colon/);
  });

  it('reads identifier systems written slightly wrong and notes them', () => {
    const bundle = fixtureBundle('EG_Clinea.json');
    const patient = resourceOf(bundle, 'Patient');
    patient['identifier'] = [{ system: '1.2.208.176.1.2', value: CPR }];
    const receiver = objects(bundle['entry']).map((e) => obj(e['resource'])).filter((r) => r?.['resourceType'] === 'Organization')[0];
    if (!receiver) throw new Error('no organisation');
    receiver['identifier'] = [
      { system: 'https://www.gs1.org/gln/', value: '5790000173174' },
      { system: 'urn:oid:1.2.208.176.1.1/', value: '307411000016009' },
    ];
    const m = parseCareCommunication(bundle);
    expect(m.patient.cpr).toBe(CPR);
    expect(m.receiver).toMatchObject({ gln: '5790000173174', sor: '307411000016009' });
    expect(m.notes).toContain('patient identifier system written irregularly (cpr)');
    expect(m.notes).toContain('receiver organisation identifier system written irregularly (gln)');
    expect(m.notes.join(' ')).not.toContain(CPR);
  });

  it('reads a replacement CPR and never puts it in the notes', () => {
    const bundle = fixtureBundle('Systematic_ColumnaCura.json');
    resourceOf(bundle, 'Patient')['identifier'] = [{ system: 'urn:oid:1.2.208.176.1.6.1.1', value: '3101057JC9' }];
    const m = parseCareCommunication(bundle);
    expect(m.patient.cpr).toBeUndefined();
    expect(m.patient.replacementCpr).toBe('3101057JC9');
    expect(m.notes).toContain('patient identified by a replacement CPR');
    expect(m.notes.join(' ')).not.toContain('3101057JC9');
  });

  it('notes an escaped narrative', () => {
    const bundle = fixtureBundle('EG_Clinea.json');
    resourceOf(bundle, 'Communication')['text'] = { status: 'generated', div: '&lt;div&gt;Hej&lt;/div&gt;' };
    expect(parseCareCommunication(bundle).notes).toContain('Communication narrative is escaped or not XHTML');
  });

  it('refuses something that is not a Bundle', () => {
    expect(() => parseCareCommunication({ resourceType: 'Patient' })).toThrow(MedComFormatError);
    expect(() => parseCareCommunication('{}')).toThrow(MedComFormatError);
  });

  it('turns markup line breaks and character references into plain text', () => {
    expect(plainText('a<br/>b &amp;quot;c&amp;quot; &#248;')).toBe('a\nb "c" \u00f8');
  });
});

describe('tolerant reading of identifier systems and role codings in a real message', () => {
  const orgsOf = (b: JsonObject): JsonObject[] =>
    objects(b['entry']).map((e) => obj(e['resource'])).filter((r): r is JsonObject => r?.['resourceType'] === 'Organization');

  it('accepts a verified message whose SOR system has a character missing, and notes it', async () => {
    const { protocolExampleName } = await import('../../test/helpers/medcom-samples.js');
    const { validateCareCommunication } = await import('./care-communication-validate.js');
    const bundle = fixtureBundle(protocolExampleName('receive', 'R-A'));
    for (const org of orgsOf(bundle)) {
      for (const id of objects(org['identifier'])) if (id['system'] === 'urn:oid:1.2.208.176.1.1') id['system'] = 'urn:oid:1.2.208.176.11';
    }
    const m = parseCareCommunication(bundle);
    expect(m.sender.sor).toBe('441211000016000');
    expect(m.receiver.sor).toBe('330461000016004');
    expect(m.notes).toEqual(expect.arrayContaining(['sender organisation identifier system written irregularly (sor)', 'receiver organisation identifier system written irregularly (sor)']));
    expect(validateCareCommunication(bundle).filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('prefers the MedCom role coding over a local one, and reads a local-only role (Columna CIS)', () => {
    const cis = parseCareCommunication(fixtureBundle('Systematic_ColumnaCis.xml'));
    expect(cis.payloads.map((p) => p.author?.role)).toContain('FMKMedicinkonfigurator');
    const bundle = fixtureBundle('EG_Clinea.json');
    const role = resourceOf(bundle, 'PractitionerRole');
    const medcom = objects(obj(objects(role['code'])[0])?.['coding'])[0];
    if (!medcom) throw new Error('no role coding');
    role['code'] = [{ coding: [{ system: 'http://www.example-region.dk/roles', code: 'X1', display: 'Lokal rolle' }, medcom] }];
    expect(parseCareCommunication(bundle).payloads[0]?.author?.role).toBe(medcom['code']);
  });
});
