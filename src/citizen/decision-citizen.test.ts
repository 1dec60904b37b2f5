/**
 * The access decision with the citizen's facts: consent-based agreements, blocks, the legal bases
 * that let data be shared without consent, and the emergency override. Table tests over the pure
 * decision (src/agreements/decision.ts).
 */
import { describe, expect, it } from 'vitest';
import { organisation } from '../../test/helpers/organisations.js';
import { buildDecisionIndex } from '../agreements/decision-index.js';
import { type CitizenFacts, decide } from '../agreements/decision.js';
import type { LegalBasisCode } from '../agreements/legal-basis.js';
import type { Agreement } from '../agreements/model.js';
import { createMemoryDirectoryView } from '../directory/memory-view.js';
import type { Block } from './blocks-rule.js';
import type { Consent } from './consent.js';

const HV = '1000000000001';
const BUP = '1000000000002';
const GP = '1000000000003';
const FAMILY = '1000000000004';
const dir = createMemoryDirectoryView([HV, BUP, GP, FAMILY].map((s) => organisation(s, null, {})));

function agreement(id: string, a: string, b: string, code: LegalBasisCode): Agreement {
  return {
    id, version: 1, status: 'active', approvals: [], amends: null, title: id,
    sideA: { parties: [{ kind: 'unit', sor: a }], approvingOrganisationSor: a },
    sideB: { parties: [{ kind: 'unit', sor: b }], approvingOrganisationSor: b },
    dataElements: ['case-existence', 'contact-details'], direction: 'a-to-b', purposes: ['coordinated-care', 'child-welfare-concern'],
    roles: ['clinician', 'caseworker'], minimumAssurance: 'substantial', legalBasis: { code, reference: 'test' }, period: { validFrom: '2026-01-01', validTo: null },
  };
}

const index = buildDecisionIndex(
  [
    agreement('consent', HV, BUP, 'consent-digitalt-samtykke'),
    agreement('health-act', GP, BUP, 'sundhedsloven-41'),
    agreement('barnets-lov', FAMILY, GP, 'barnets-lov-early-preventive-exchange'),
    agreement('health-act-family', FAMILY, BUP, 'sundhedsloven-43'),
  ],
  dir,
);
const at = new Date('2026-06-01T00:00:00Z');
const consent: Consent = { id: 'c1', givenBy: { relationship: 'custody-holder', name: null }, purposes: ['coordinated-care'], recipients: [HV], custodians: [BUP], validFrom: '2026-01-01T00:00:00Z', validTo: null, withdrawnAt: null };
const block: Block = { id: 'b1', target: { kind: 'organisation', sor: 'any' }, validFrom: new Date('2026-01-01'), validTo: null };
const facts = (f: Partial<CitizenFacts>): CitizenFacts => ({ consents: [], blocks: [], override: false, ...f });

const ask = (caller: string, target: string, purpose: 'coordinated-care' | 'child-welfare-concern', citizen?: CitizenFacts) =>
  decide(index, { caller: { organisationSor: caller, role: 'clinician', assurance: 'substantial', purpose }, action: ['case-existence'], targetSor: target, at, ...(citizen ? { citizen } : {}) });

describe('decision with consents and blocks', () => {
  const cases: Array<[string, ReturnType<typeof ask>['effect'], string | null, () => ReturnType<typeof ask>]> = [
    ['consent-based, no citizen facts (correspondence): no-consent', 'deny', 'no-consent', () => ask(HV, BUP, 'coordinated-care')],
    ['consent-based, no consent: no-consent', 'deny', 'no-consent', () => ask(HV, BUP, 'coordinated-care', facts({}))],
    ['consent-based, consent for the purpose and parties: permit', 'permit', null, () => ask(HV, BUP, 'coordinated-care', facts({ consents: [consent] }))],
    ['consent-based, consent for another purpose than the lookup’s: no-consent', 'deny', 'no-consent', () => ask(HV, BUP, 'child-welfare-concern', facts({ consents: [consent] }))],
    ['consent-based, withdrawn consent: no-consent', 'deny', 'no-consent', () => ask(HV, BUP, 'coordinated-care', facts({ consents: [{ ...consent, withdrawnAt: '2026-05-01T00:00:00Z' }] }))],
    ['health act, no consent needed: permit', 'permit', null, () => ask(GP, BUP, 'coordinated-care', facts({}))],
    ['health act, blocked: citizen-block', 'deny', 'citizen-block', () => ask(GP, BUP, 'coordinated-care', facts({ blocks: [block] }))],
    ['health act, blocked, override: permit', 'permit', null, () => ask(GP, BUP, 'coordinated-care', facts({ blocks: [block], override: true }))],
    ['consent-based with consent, blocked: citizen-block', 'deny', 'citizen-block', () => ask(HV, BUP, 'coordinated-care', facts({ consents: [consent], blocks: [block] }))],
    ['barnets lov, blocked: permit (sharing without consent)', 'permit', null, () => ask(FAMILY, GP, 'coordinated-care', facts({ blocks: [block] }))],
    ['health act § 43 from the family department, blocked: citizen-block', 'deny', 'citizen-block', () => ask(FAMILY, BUP, 'coordinated-care', facts({ blocks: [block] }))],
  ];
  it.each(cases)('%s', (_name, effect, reason, run) => {
    const d = run();
    expect(d.effect).toBe(effect);
    if (d.effect === 'deny') expect(d.reasons).toEqual([reason]);
  });

  it('a permit under consent names the consent; an override names the blocks it set aside', () => {
    const withConsent = ask(HV, BUP, 'coordinated-care', facts({ consents: [consent] }));
    expect(withConsent.effect === 'permit' && withConsent.consents).toEqual(['c1']);
    const overridden = ask(GP, BUP, 'coordinated-care', facts({ blocks: [block], override: true }));
    expect(overridden.effect === 'permit' && overridden.overriddenBlocks).toEqual(['b1']);
    const unblocked = ask(GP, BUP, 'coordinated-care', facts({ override: true }));
    expect(unblocked.effect === 'permit' && unblocked.overriddenBlocks).toBe(undefined);
  });

  it('a block on the caller is said plainly and names the blocks; the detail names no person', () => {
    const d = ask(GP, BUP, 'coordinated-care', facts({ blocks: [block] }));
    expect(d.effect === 'deny' && d.blocks).toEqual(['b1']);
    expect(d.effect === 'deny' && d.detail).toContain('blocked');
  });
});
