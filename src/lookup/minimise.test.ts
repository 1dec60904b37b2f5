import { describe, expect, it } from 'vitest';
import type { SourceCase } from '../../adapters/source.js';
import { allAboutPerson, coursesOfPractice, minimiseCases } from './minimise.js';

const base: SourceCase = {
  caseId: 'c1', subjectCpr: '0209144026', status: 'treatment', sourceStatus: 'active', since: '2026-01-05', closedAt: null,
  title: 'Udredning for angst', sensitivity: 'FOELSOMME_PERSONOPLYSNINGER', kle: '27.24.00',
  responsibleUnit: { sor: '9500081000016008', name: 'Ambulatoriet', ean: null },
  contact: { name: 'Mette Kjær', role: 'Psykolog', phone: '+4597641011', email: 'mk@rn.example.dk' }, team: 'Team angst',
};

describe('minimiseCases', () => {
  it('gives status and dates only for case existence', () => {
    expect(minimiseCases([base], ['case-existence'], () => null)).toEqual([{ status: 'treatment', since: '2026-01-05', closedAt: null }]);
  });
  it('adds unit with its MedCom EAN, contact and team for contact details, never title, KLE or sensitivity', () => {
    const [view] = minimiseCases([base], ['case-existence', 'contact-details'], (sor) => (sor === '9500081000016008' ? '5790009100034' : null));
    expect(view).toEqual({
      status: 'treatment', since: '2026-01-05', closedAt: null,
      responsibleUnit: { sor: '9500081000016008', name: 'Ambulatoriet', ean: '5790009100034' },
      contact: base.contact, team: 'Team angst',
    });
  });
  it('gives nothing without case existence', () => {
    expect(minimiseCases([base], ['correspondence'], () => null)).toEqual([]);
  });
});

describe('allAboutPerson', () => {
  it('holds only when every case is about the person asked for', () => {
    expect(allAboutPerson([base], '0209144026')).toBe(true);
    expect(allAboutPerson([base, { ...base, subjectCpr: '1503124013' }], '0209144026')).toBe(false);
    expect(allAboutPerson([{ ...base, subjectCpr: '1208117kd4' }], '1208117KD4')).toBe(true);
  });
});

describe('coursesOfPractice', () => {
  const PRACTICE = '9510031000016003';
  const OWNER = '9510011000016001';
  const OTHER = '9510431000016003';
  const isWithin = (sor: string, root: string) => sor === root || (sor === PRACTICE && root === OWNER);
  const course = (id: string, unit: SourceCase['responsibleUnit']): SourceCase => ({ ...base, caseId: id, responsibleUnit: unit });
  const courses = [
    course('own', { sor: PRACTICE, name: 'Lægepraksis Anne Kjærsgaard', ean: null }),
    course('other', { sor: OTHER, name: 'Lægepraksis Hanne Vestergaard', ean: null }),
    course('name-only', { sor: null, name: 'Lægepraksis Anne Kjærsgaard', ean: null }),
    course('no-unit', null),
  ];
  it.each([
    ['the practice', PRACTICE, ['own']],
    ["the practice's owner (its practices below it)", OWNER, ['own']],
    ['another practice', OTHER, ['other']],
    ['a practice with no course', '9510631000016003', []],
  ])('keeps for %s only its own courses, never one without a unit SOR', (_case, asked, ids) => {
    expect(coursesOfPractice(courses, asked, isWithin).map((c) => c.caseId)).toEqual(ids);
  });
});
