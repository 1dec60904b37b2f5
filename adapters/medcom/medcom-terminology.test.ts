import { describe, expect, it } from 'vitest';
import { validateCareCommunication } from './care-communication-validate.js';
import { parseCareCommunication } from './care-communication-parse.js';
import { obj, objects, type JsonObject } from './json.js';
import { ATTACHMENT_MIME_TYPES, CARE_COMMUNICATION_CATEGORIES, CATEGORY_DISPLAY, CATEGORY_SOURCE, recogniseCategory } from './medcom-terminology.js';
import { fixtureBundle, protocolExampleName } from '../../test/helpers/medcom-samples.js';

const withCategory = (code: string): JsonObject => {
  const bundle = fixtureBundle('EG_Clinea.json');
  const communication = objects(bundle['entry']).map((e) => obj(e['resource'])).find((r) => r?.['resourceType'] === 'Communication');
  if (!communication) throw new Error('no Communication');
  communication['category'] = [{ coding: [{ system: 'http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-careCommunication-categoryCodes', code }] }];
  return bundle;
};
const categoryErrors = (bundle: JsonObject) => validateCareCommunication(bundle).filter((i) => i.rule === 'category-unknown');

describe('CareCommunication categories (CodeSystem medcom-careCommunication-categoryCodes)', () => {
  it('is the checked-in current version, with a display for every code', () => {
    expect(CATEGORY_SOURCE).toMatchObject({ repository: 'medcomdk/dk-medcom-terminology', version: '1.9.0' });
    expect(CARE_COMMUNICATION_CATEGORIES).toHaveLength(18);
    expect(Object.keys(CATEGORY_DISPLAY).sort()).toEqual([...CARE_COMMUNICATION_CATEGORIES].sort());
  });

  it.each([
    // code as received, accepted, read as
    ['acute-ambulant', true, 'acute-ambulant'],
    ['extended-care-responsibility', true, 'extended-care-responsibility'],
    ['home-care-assessment', true, 'home-care-assessment'],
    ['regarding-referral', true, 'regarding-referral'],
    ['Other', true, 'other'], // the CodeSystem is caseSensitive = false
    [' examination-results ', true, 'examination-results'],
    ['assessment', false, 'assessment'], // never a code in the CodeSystem
    ['acute', false, 'acute'],
    ['', false, ''],
  ] as const)('%j accepted: %s', (code, accepted, readAs) => {
    const bundle = withCategory(code);
    expect(categoryErrors(bundle)).toHaveLength(accepted ? 0 : 1);
    expect(parseCareCommunication(bundle).category).toBe(readAs);
    expect(recogniseCategory(code) !== undefined).toBe(accepted);
  });

  it.each(CARE_COMMUNICATION_CATEGORIES)('every current code (%s) is accepted', (code) => {
    expect(categoryErrors(withCategory(code))).toEqual([]);
  });

  it('accepts the categories of MedCom-verified messages that the older list refused (R-A, S-A)', () => {
    for (const name of [protocolExampleName('receive', 'R-A'), protocolExampleName('send', 'S-A')]) {
      const bundle = fixtureBundle(name);
      expect(categoryErrors(bundle)).toEqual([]);
    }
    expect(parseCareCommunication(fixtureBundle(protocolExampleName('receive', 'R-A'))).category).toBe('extended-care-responsibility');
    expect(parseCareCommunication(fixtureBundle(protocolExampleName('send', 'S-A'))).category).toBe('acute-ambulant');
  });

  it('the attachment types are the ValueSet the profile binds to', () => {
    expect(ATTACHMENT_MIME_TYPES).toEqual(['application/pdf', 'image/gif', 'image/jpeg', 'image/png', 'image/tiff', 'image/bmp']);
  });
});
