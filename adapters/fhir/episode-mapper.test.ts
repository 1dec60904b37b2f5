import { describe, expect, it } from 'vitest';
import { mapEpisodes } from './episode-mapper.js';
import { EPISODE_PHASE_SYSTEM } from './identifiers.js';

const CPR = '1503124013';
const episode = (status: string, phase?: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'EpisodeOfCare',
  id: `e-${status}-${phase ?? 'none'}`,
  status,
  type: phase ? [{ coding: [{ system: EPISODE_PHASE_SYSTEM, code: phase }] }] : [],
  patient: { identifier: { system: 'urn:oid:1.2.208.176.1.2', value: CPR } },
  period: { start: '2026-01-05', end: '2026-03-01' },
  ...extra,
});

describe('EpisodeOfCare status mapping', () => {
  it.each([
    ['planned', 'referral', 'referred'],
    ['planned', undefined, 'referred'],
    ['planned', 'waiting-list', 'waiting'],
    ['waitlist', undefined, 'waiting'],
    ['active', 'assessment', 'assessment'],
    ['active', 'treatment', 'treatment'],
    ['active', undefined, 'treatment'],
    ['onhold', 'treatment', 'treatment'],
    ['finished', 'treatment', 'closed'],
    ['cancelled', 'referral', 'closed'],
  ])('%s with phase %s -> %s', (status, phase, expected) => {
    const { cases } = mapEpisodes([episode(status, phase)], []);
    expect(cases[0]?.status).toBe(expected);
    expect(cases[0]?.sourceStatus).toBe(status);
    expect(cases[0]?.closedAt).toBe(expected === 'closed' ? '2026-03-01' : null);
  });

  it('leaves out entered-in-error episodes and episodes without a patient identifier, with notes', () => {
    const noPatient = episode('active', 'treatment', { patient: { reference: 'Patient/unknown' } });
    const result = mapEpisodes([episode('entered-in-error'), noPatient], []);
    expect(result.cases).toEqual([]);
    expect(result.notes).toEqual(['episode entered in error left out', 'episode without patient identifier left out']);
  });

  it('reads the patient CPR from an included Patient when the reference is literal', () => {
    const e = episode('active', 'treatment', { patient: { reference: 'Patient/p1' } });
    const patient = { resourceType: 'Patient', id: 'p1', identifier: [{ system: 'urn:oid:1.2.208.176.1.2', value: '0209144026' }] };
    expect(mapEpisodes([e], [e, patient]).cases[0]?.subjectCpr).toBe('0209144026');
  });

  it('takes a Practitioner care manager directly and falls back to the unit phone', () => {
    const e = episode('active', 'treatment', {
      careManager: { reference: 'Practitioner/d1' },
      managingOrganization: { reference: 'Organization/o1' },
    });
    const doctor = { resourceType: 'Practitioner', id: 'd1', name: [{ text: 'Dr. Ib Berg' }] };
    const org = {
      resourceType: 'Organization',
      id: 'o1',
      name: 'Klinik',
      identifier: [{ system: 'urn:oid:1.3.88', value: '5790009110002' }],
      telecom: [{ system: 'phone', value: '+4512345678' }],
    };
    const [mapped] = mapEpisodes([e], [e, doctor, org]).cases;
    expect(mapped?.contact).toEqual({ name: 'Dr. Ib Berg', role: null, phone: '+4512345678', email: null });
    expect(mapped?.responsibleUnit).toEqual({ sor: null, name: 'Klinik', ean: '5790009110002' });
  });

  it('notes an unknown status and keeps the case', () => {
    const result = mapEpisodes([episode('something-new')], []);
    expect(result.cases).toHaveLength(1);
    expect(result.notes).toEqual(['unknown episode status']);
  });
});

describe('the responsible unit of a GP course', () => {
  const practice = { resourceType: 'Organization', id: 'p1', identifier: [{ system: 'urn:oid:1.2.208.176.1.1', value: '9510031000016003' }], name: 'Lægepraksis Anne Kjærsgaard' };
  const role = (organization: unknown) => ({ resourceType: 'PractitionerRole', id: 'r1', ...(organization ? { organization } : {}) });
  it.each([
    ['managingOrganization', { managingOrganization: { reference: 'Organization/p1' } }, [practice], '9510031000016003'],
    ['a logical SOR reference', { managingOrganization: { identifier: { system: 'urn:oid:1.2.208.176.1.1', value: '9510431000016003' } } }, [], '9510431000016003'],
    ["the care manager's PractitionerRole", { careManager: { reference: 'PractitionerRole/r1' } }, [role({ reference: 'Organization/p1' }), practice], '9510031000016003'],
    ["the role's logical SOR reference", { careManager: { reference: 'PractitionerRole/r1' } }, [role({ identifier: { system: 'urn:oid:1.2.208.176.1.1', value: '9510631000016003' } })], '9510631000016003'],
    ['nowhere', { careManager: { reference: 'PractitionerRole/r1' } }, [role(null)], null],
  ])('is read from %s', (_where, extra, resources, sor) => {
    const { cases } = mapEpisodes([episode('active', 'treatment', extra)], resources);
    expect(cases[0]?.responsibleUnit?.sor ?? null).toBe(sor);
  });
});
