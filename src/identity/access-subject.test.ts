import { describe, expect, it } from 'vitest';
import { accessSubject, subjectRefusalProblem } from './access-subject.js';
import type { Caller, Role } from './caller.js';

const caller = (role: Role, purposeOfUse = 'child-welfare-concern'): Caller => ({
  issuer: 'https://idp.example',
  subject: 'user-1',
  tokenId: 'jti-1',
  organisationSor: '9510031000016003',
  role,
  assurance: 'substantial',
  purposeOfUse,
  displayName: null,
  expiresAt: new Date(0),
});

describe('accessSubject: the one policy point', () => {
  it.each<[string, Role, string, string | undefined, string]>([
    ['clinician, purpose stated as in the token', 'clinician', 'child-welfare-concern', 'child-welfare-concern', 'ok'],
    ['caseworker, no purpose stated (correspondence)', 'caseworker', 'case-assessment', undefined, 'ok'],
    ['agreement administrator', 'agreement-admin', 'child-welfare-concern', undefined, 'role-not-allowed'],
    ['auditor', 'auditor', 'child-welfare-concern', 'child-welfare-concern', 'role-not-allowed'],
    ['MedCom gateway', 'medcom-gateway', 'child-welfare-concern', undefined, 'role-not-allowed'],
    ['stated purpose differs from the token', 'clinician', 'treatment', 'child-welfare-concern', 'purpose-mismatch'],
    ['token purpose no agreement can cover', 'clinician', 'marketing', undefined, 'purpose-not-covered'],
    ['unknown purpose stated and asserted alike', 'clinician', 'marketing', 'marketing', 'purpose-not-covered'],
  ])('%s', (_case, role, tokenPurpose, stated, expected) => {
    const result = accessSubject(caller(role, tokenPurpose), stated);
    expect(result.ok ? 'ok' : result.refusal).toBe(expected);
    if (result.ok) {
      expect(result.subject).toEqual({ organisationSor: '9510031000016003', role, assurance: 'substantial', purpose: tokenPurpose });
    }
  });

  it('answers a refusal with a stable problem type that names the rule', () => {
    const mismatch = accessSubject(caller('clinician', 'treatment'), 'referral');
    const role = accessSubject(caller('auditor'));
    if (mismatch.ok || role.ok) throw new Error('expected refusals');
    expect(subjectRefusalProblem(mismatch)).toMatchObject({ status: 403, slug: 'purpose-mismatch' });
    expect(subjectRefusalProblem(role).toBody()).toMatchObject({ status: 403, reasons: ['role-not-allowed'] });
  });
});
