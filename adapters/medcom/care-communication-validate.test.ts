import { describe, expect, it } from 'vitest';
import { acknowledgementCodeFor, validateCareCommunication, type ValidationIssue } from './care-communication-validate.js';
import { obj, objects, type JsonObject } from './json.js';
import * as parsing from './care-communication-parse.js';
import { CARE_COMMUNICATION_SAMPLES, fixtureBundle, protocolExampleName } from '../../test/helpers/medcom-samples.js';

function resources(bundle: JsonObject, type: string): JsonObject[] {
  return objects(bundle['entry'])
    .map((e) => obj(e['resource']))
    .filter((r): r is JsonObject => r?.['resourceType'] === type);
}
function first(bundle: JsonObject, type: string): JsonObject {
  const r = resources(bundle, type)[0];
  if (!r) throw new Error(`no ${type}`);
  return r;
}
function payload(bundle: JsonObject, index: number): JsonObject {
  const p = objects(first(bundle, 'Communication')['payload'])[index];
  if (!p) throw new Error('no payload');
  return p;
}
function errors(issues: ValidationIssue[]): Array<Pick<ValidationIssue, 'rule' | 'code'>> {
  return issues.filter((i) => i.severity === 'error').map(({ rule, code }) => ({ rule, code }));
}
const senderOrg = (b: JsonObject): JsonObject => {
  const ref = String(obj(first(b, 'MessageHeader')['sender'])?.['reference']);
  const org = resources(b, 'Organization').find((o) => ref.endsWith(String(o['id'])));
  if (!org) throw new Error('no sender');
  return org;
};
const receiverOrg = (b: JsonObject): JsonObject => {
  const ref = String(obj(objects(first(b, 'MessageHeader')['destination'])[0]?.['receiver'])?.['reference']);
  const org = resources(b, 'Organization').find((o) => ref.endsWith(String(o['id'])));
  if (!org) throw new Error('no receiver');
  return org;
};

describe('validateCareCommunication', () => {
  it.each(CARE_COMMUNICATION_SAMPLES)('accepts the real sample %s without errors', (name) => {
    const issues = validateCareCommunication(fixtureBundle(name));
    expect(errors(issues)).toEqual([]);
    expect(acknowledgementCodeFor(issues)).toBe('ok');
  });

  const cases: Array<[string, string, (b: JsonObject) => void, ValidationIssue['rule'], ValidationIssue['code']]> = [
    ['bundle type not message', 'EG_Clinea.json', (b) => (b['type'] = 'collection'), 'bundle-type', 'MSG_VALUESET_VALUE_UNKNOWN'],
    [
      'first entry not a MessageHeader',
      'EG_Clinea.json',
      (b) => {
        const entries = objects(b['entry']);
        b['entry'] = [...entries.slice(1), ...entries.slice(0, 1)];
      },
      'first-entry-not-message-header',
      'MSG_Datatype_Wrong',
    ],
    [
      'wrong event code',
      'EG_Clinea.json',
      (b) => (first(b, 'MessageHeader')['eventCoding'] = { system: 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes', code: 'hospital-notification-message' }),
      'event-code',
      'MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE',
    ],
    [
      'no Patient',
      'EG_Clinea.json',
      (b) => (b['entry'] = objects(b['entry']).filter((e) => obj(e['resource'])?.['resourceType'] !== 'Patient')),
      'patient-count',
      'MSG_Datatype_Wrong',
    ],
    [
      'two Patients',
      'EG_Clinea.json',
      (b) => {
        const entry = objects(b['entry']).find((e) => obj(e['resource'])?.['resourceType'] === 'Patient');
        b['entry'] = [...objects(b['entry']), { fullUrl: 'Patient/second', resource: { ...obj(entry?.['resource']), id: 'second' } }];
      },
      'patient-count',
      'MSG_Datatype_Wrong',
    ],
    [
      'Patient without CPR',
      'Systematic_ColumnaCis.xml',
      (b) => (first(b, 'Patient')['identifier'] = [{ system: 'urn:oid:1.2.208.176.1.22', value: '12345' }]),
      'patient-identifier-missing',
      'MSG_Datatype_Wrong',
    ],
    [
      'receiver without GLN',
      'EG_Clinea.json',
      (b) => (receiverOrg(b)['identifier'] = objects(receiverOrg(b)['identifier']).filter((i) => !String(i['system']).includes('gs1'))),
      'receiver-identifier-missing',
      'MSG_Receiver_Identifier_MISSING',
    ],
    [
      'receiver without SOR',
      'EG_Clinea.json',
      (b) => (receiverOrg(b)['identifier'] = objects(receiverOrg(b)['identifier']).filter((i) => String(i['system']).includes('gs1'))),
      'receiver-identifier-missing',
      'MSG_Receiver_Identifier_MISSING',
    ],
    [
      'sender without SOR',
      'EG_Clinea.json',
      (b) => (senderOrg(b)['identifier'] = objects(senderOrg(b)['identifier']).filter((i) => String(i['system']).includes('gs1'))),
      'sender-identifier-missing',
      'MSG_Datatype_Wrong',
    ],
    [
      'receiver GLN with a wrong check digit',
      'EG_Clinea.json',
      (b) => {
        const gln = objects(receiverOrg(b)['identifier']).find((i) => String(i['system']).includes('gs1'));
        if (gln) gln['value'] = '5790000173175';
      },
      'receiver-gln-check-digit',
      'MSG_Receiver_Identifier_UNKNOWN',
    ],
    [
      'sender GLN with a wrong check digit',
      'EG_Clinea.json',
      (b) => {
        const gln = objects(senderOrg(b)['identifier']).find((i) => String(i['system']).includes('gs1'));
        if (gln) gln['value'] = '5790000120049';
      },
      'sender-gln-check-digit',
      'MSG_Datatype_Wrong',
    ],
    ['Bundle without id', 'EG_Clinea.json', (b) => delete b['id'], 'message-id-missing', 'MSG_Datatype_Wrong'],
    [
      'no Provenance for this message',
      'Systematic_ColumnaCura.json',
      (b) => (b['entry'] = objects(b['entry']).filter((e) => obj(e['resource'])?.['resourceType'] !== 'Provenance')),
      'provenance-missing',
      'MSG_Datatype_Wrong',
    ],
    ['category other without topic', 'EG_Clinea.json', (b) => delete first(b, 'Communication')['topic'], 'topic-missing-for-other', 'MSG_Datatype_Wrong'],
    [
      'unknown category',
      'EG_Clinea.json',
      (b) => (first(b, 'Communication')['category'] = [{ coding: [{ system: 'x', code: 'gossip' }] }]),
      'category-unknown',
      'MSG_CodeSystem_VALUE_UNKNOWN',
    ],
    ['priority on category other', 'EG_Clinea.json', (b) => (first(b, 'Communication')['priority'] = 'asap'), 'priority-not-allowed', 'MSG_VALUESET_VALUE_UNKNOWN'],
    [
      'payload without date',
      'EG_Clinea.json',
      (b) => (payload(b, 0)['extension'] = objects(payload(b, 0)['extension']).filter((e) => !String(e['url']).includes('datetime'))),
      'payload-date-missing',
      'MSG_Datatype_Wrong',
    ],
    [
      'payload without author',
      'EG_Clinea.json',
      (b) => (payload(b, 0)['extension'] = objects(payload(b, 0)['extension']).filter((e) => !String(e['url']).includes('practitioner'))),
      'payload-author-missing',
      'MSG_Datatype_Wrong',
    ],
    [
      'payload without identifier',
      'EG_Clinea.json',
      (b) => (payload(b, 0)['extension'] = objects(payload(b, 0)['extension']).filter((e) => !String(e['url']).includes('identifier'))),
      'payload-identifier-missing',
      'MSG_Datatype_Wrong',
    ],
    [
      'attachment that is not base64',
      'Flow1-CareCommunication_Ex_from_OIOXML.xml',
      (b) => {
        const a = obj(payload(b, 1)['contentAttachment']);
        if (a) a['data'] = 'JVBERi0x*not base64*';
      },
      'attachment-not-base64',
      'MSG_Damaged_durin_transport',
    ],
    [
      'attachment declared PNG holding a PDF',
      'Flow1-CareCommunication_Ex_from_OIOXML.xml',
      (b) => {
        const a = obj(payload(b, 1)['contentAttachment']);
        if (a) a['contentType'] = 'image/png';
      },
      'attachment-content-mismatch',
      'MSG_Damaged_durin_transport',
    ],
    [
      'attachment content type outside the value set',
      'Flow1-CareCommunication_Ex_from_OIOXML.xml',
      (b) => {
        const a = obj(payload(b, 1)['contentAttachment']);
        if (a) a['contentType'] = 'application/x-msdownload';
      },
      'attachment-content-type-unknown',
      'MSG_VALUESET_VALUE_UNKNOWN',
    ],
  ];

  it.each(cases)('flags %s', (_label, sample, mutate, rule, code) => {
    const bundle = fixtureBundle(sample);
    mutate(bundle);
    expect(errors(validateCareCommunication(bundle))).toContainEqual({ rule, code });
  });

  it('allows priority asap on regarding-referral', () => {
    const bundle = fixtureBundle('EG_Clinea.json');
    const communication = first(bundle, 'Communication');
    communication['category'] = [{ coding: [{ system: 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-careCommunication-categoryCodes', code: 'regarding-referral' }] }];
    communication['priority'] = 'asap';
    expect(errors(validateCareCommunication(bundle))).toEqual([]);
  });

  it('refuses a priority code outside routine and asap', () => {
    const bundle = fixtureBundle('EG_Clinea.json');
    const communication = first(bundle, 'Communication');
    communication['category'] = [{ coding: [{ system: 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-careCommunication-categoryCodes', code: 'regarding-referral' }] }];
    communication['priority'] = 'stat';
    expect(errors(validateCareCommunication(bundle))).toEqual([{ rule: 'priority-unknown', code: 'MSG_VALUESET_VALUE_UNKNOWN' }]);
  });

  it('applies the size limits given as parameters', () => {
    const bundle = fixtureBundle('Flow1-CareCommunication_Ex_from_OIOXML.xml');
    expect(errors(validateCareCommunication(bundle, { maxAttachmentBytes: 4296 }))).toContainEqual({
      rule: 'attachment-too-large',
      code: 'MSG_Element_To_Long',
    });
    expect(errors(validateCareCommunication(bundle, { maxAttachmentBytes: 4297 }))).toEqual([]);
    expect(errors(validateCareCommunication(bundle, { maxMessageBytes: 1000 }))).toContainEqual({
      rule: 'message-too-large',
      code: 'MSG_Element_To_Long',
    });
    expect(errors(validateCareCommunication(bundle, { maxMessageBytes: 10, messageBytes: 5 }))).toEqual([]);
  });

  it('never puts the CPR or names into issue messages', () => {
    const bundle = fixtureBundle('EG_Clinea.json');
    bundle['type'] = 'collection';
    delete first(bundle, 'Communication')['topic'];
    const issues = validateCareCommunication(bundle);
    expect(issues.length).toBeGreaterThan(1);
    const text = issues.map((i) => i.message).join(' ');
    expect(text).not.toContain('2509479989');
    expect(text).not.toContain('Elmer');
    expect(acknowledgementCodeFor(issues)).toBe('fatal-error');
  });

  it('reports broken shapes as issues instead of throwing', () => {
    for (const entry of [{}, [null, 1, 'x', { resource: 'x' }], [{ resource: { resourceType: 'MessageHeader', destination: 'x' } }]]) {
      const issues = validateCareCommunication({ resourceType: 'Bundle', type: 'message', entry });
      expect(issues.some((i) => i.severity === 'error')).toBe(true);
    }
  });

  it('rejects what is not a Bundle with one issue', () => {
    expect(errors(validateCareCommunication({ resourceType: 'Patient' }))).toEqual([{ rule: 'not-a-bundle', code: 'MSG_Datatype_Wrong' }]);
  });
});

describe('attachments: every type the CareCommunication profile allows, checked by their bytes', () => {
  const tekA = (): JsonObject => fixtureBundle(protocolExampleName('receive', 'R-Tek-A'));
  const attachmentOf = (b: JsonObject, contentType: string): JsonObject => {
    const found = objects(first(b, 'Communication')['payload']).map((p) => obj(p['contentAttachment'])).find((a) => a?.['contentType'] === contentType);
    if (!found) throw new Error(`no ${contentType} attachment`);
    return found;
  };
  const attachmentIssues = (b: JsonObject) =>
    validateCareCommunication(b).filter((i) => i.rule.startsWith('attachment-')).map(({ severity, rule }) => ({ severity, rule }));

  it("accepts MedCom's R-Tek-A with PDF, GIF, TIFF, PNG, JPEG and BMP attachments and a URL", () => {
    const bundle = tekA();
    expect(errors(validateCareCommunication(bundle))).toEqual([]);
    expect(parsing.parseCareCommunication(bundle).attachments.map((a) => a.actualContentType ?? a.url)).toEqual([
      'application/pdf', 'image/gif', 'image/tiff', 'image/png', 'image/jpeg', 'image/bmp', 'https://medcom.dk/',
    ]);
  });

  it.each([
    ['BMP declared with an alias', (b: JsonObject) => (attachmentOf(b, 'image/bmp')['contentType'] = 'image/x-ms-bmp'), []],
    ['TIFF declared as image/tif', (b: JsonObject) => (attachmentOf(b, 'image/tiff')['contentType'] = 'image/tif'), []],
    ['a type outside the value set', (b: JsonObject) => (attachmentOf(b, 'image/bmp')['contentType'] = 'text/plain'), [{ severity: 'error', rule: 'attachment-content-type-unknown' }]],
    ['a PDF declared as TIFF', (b: JsonObject) => (attachmentOf(b, 'image/tiff')['data'] = attachmentOf(b, 'application/pdf')['data'] ?? ''), [{ severity: 'error', rule: 'attachment-content-mismatch' }]],
    ['a BMP declared as PDF', (b: JsonObject) => (attachmentOf(b, 'application/pdf')['data'] = attachmentOf(b, 'image/bmp')['data'] ?? ''), [{ severity: 'error', rule: 'attachment-content-mismatch' }]],
    ['text posing as a bitmap', (b: JsonObject) => (attachmentOf(b, 'image/bmp')['data'] = Buffer.from('BM and then some text, no bitmap header').toString('base64')), [{ severity: 'error', rule: 'attachment-content-mismatch' }]],
    ['a JPEG declared as PNG (accepted, shown as JPEG)', (b: JsonObject) => (attachmentOf(b, 'image/png')['data'] = attachmentOf(b, 'image/jpeg')['data'] ?? ''), [{ severity: 'warning', rule: 'attachment-content-mislabelled' }]],
  ])('%s', (_what, change, expected) => {
    const bundle = tekA();
    change(bundle);
    expect(attachmentIssues(bundle)).toEqual(expected);
  });

  it("accepts MedCom's S-B, whose JPEG is declared as PNG, and notes it", () => {
    const bundle = fixtureBundle(protocolExampleName('send', 'S-B'));
    expect(errors(validateCareCommunication(bundle))).toEqual([]);
    const parsed = parsing.parseCareCommunication(bundle);
    expect(parsed.attachments[0]).toMatchObject({ contentType: 'image/png', actualContentType: 'image/jpeg' });
    expect(parsed.notes).toContain('payload 2 attachment is image/jpeg but declared image/png');
  });
});
