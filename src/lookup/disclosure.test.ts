import { describe, expect, it } from 'vitest';
import type { SourceKind } from '../../adapters/source.js';
import { type ConsultationResult, type DisclosureInput, discloseLookup, WITHHELD_DENIAL_REASON } from './disclosure.js';

const CALLER = '100000000000050';
const GP = '100000000000012';
const PPR = '100000000000021';
const FAMILY = '100000000000022';
const BUP = '100000000000030';

const denied = (sourceId: string, kind: SourceKind, sor: string, via: ConsultationResult['via'] = 'person-register'): ConsultationResult => ({
  sourceId, kind, via, organisation: { sor, name: `org ${sor}` }, status: 'denied', deniedBecause: ['purpose-not-covered'], reason: `An agreement between the organisations exists (a-${sor} version 1), but ...`,
});
const answered = (sourceId: string, kind: SourceKind, sor: string, status: ConsultationResult['status'], via: ConsultationResult['via'] = 'person-register'): ConsultationResult => ({
  sourceId, kind, via, organisation: { sor, name: `org ${sor}` }, status, agreements: [{ id: `a-${sor}`, version: 1 }], dataElements: ['case-existence'], durationMs: 12,
  ...(status === 'found' ? { cases: [{ status: 'open', since: '2026-01-01', closedAt: null }] } : {}),
  ...(status === 'timeout' ? { reason: 'source did not answer within its timeout' } : {}),
});
const run = (results: ConsultationResult[], register: Partial<DisclosureInput['register']> = {}, askedKinds: SourceKind[] = ['gp', 'child-psychiatry', 'ppr', 'family']) =>
  discloseLookup({ results, register: { status: 'found', addressProtected: false, ...register }, askedKinds, callerOwns: (sor) => sor === CALLER });
const generic = (kind: SourceKind) => ({ kind, status: 'denied', deniedBecause: ['no-agreement'], reason: WITHHELD_DENIAL_REASON });

describe('discloseLookup', () => {
  it.each([
    ['the register found the child', [denied('gp', 'gp', GP), denied('ppr', 'ppr', PPR), denied('family', 'family', FAMILY), denied('bup', 'child-psychiatry', BUP)], 'found'],
    ['the register did not know her', [], 'not-found'],
    ['the register failed on her', [], 'error'],
  ] as const)('gives a caller denied everywhere the same answer whether %s', (_case, results, status) => {
    expect(run([...results], { status })).toEqual({
      personRegister: { status: 'withheld' },
      sources: [generic('gp'), generic('child-psychiatry'), generic('ppr'), generic('family')],
    });
  });

  it('tells a caller denied everywhere that the register is down, which says nothing about the child', () => {
    expect(run([], { status: 'unavailable', reason: 'source unavailable' }).personRegister).toEqual({ status: 'unavailable', reason: 'source unavailable' });
  });

  it.each(['timeout', 'unavailable', 'not-configured'] as const)('invents no denials when the register (%s) chose nothing: no decision was made', (status) => {
    expect(run([], { status }).sources).toEqual([]);
    expect(run([denied('ppr', 'ppr', PPR, 'named')], { status }).sources.map((s) => s.sourceId)).toEqual(['ppr']);
  });

  it.each([
    ['named', denied('ppr', 'ppr', PPR, 'named')],
    ["the caller's own", denied('gp', 'gp', CALLER)],
  ])('shows a denied organisation that is %s with its rule, and generic denials for the other kinds asked', (_case, known) => {
    const out = run([known, denied('family', 'family', FAMILY)], {}, ['gp', 'ppr', 'family']);
    const { via: _via, ...shown } = known;
    expect(out.sources).toEqual([shown, ...(['gp', 'ppr', 'family'] as const).filter((k) => k !== known.kind).map(generic)]);
  });

  it('collapses denials the caller did not know to one per kind, without source id, organisation or precise reasons, when permitted elsewhere', () => {
    const out = run([answered('bup', 'child-psychiatry', BUP, 'found'), denied('ppr-a', 'ppr', PPR), denied('ppr-b', 'ppr', '100000000000023'), denied('family', 'family', FAMILY)]);
    expect(out.personRegister).toEqual({ status: 'found' });
    expect(out.sources).toEqual([
      expect.objectContaining({ sourceId: 'bup', organisation: { sor: BUP, name: `org ${BUP}` }, status: 'found' }),
      generic('ppr'),
      generic('family'),
    ]);
    expect(JSON.stringify(out)).not.toMatch(new RegExp(`${PPR}|${FAMILY}|a-${PPR}|ppr-a`));
  });

  it.each([
    ['not-found', false, true],
    ['timeout', false, true],
    ['found', true, true],
  ] as const)('for a protected child, a permitted register-chosen source that answered %s is named: %s (unprotected: %s)', (status, namedWhenProtected, namedWhenNot) => {
    const result = answered('ppr', 'ppr', PPR, status);
    const protectedOut = run([answered('gp', 'gp', GP, 'found'), result], { addressProtected: true });
    expect(protectedOut.personRegister).toEqual({ status: 'found', addressProtected: true });
    const ppr = protectedOut.sources.find((s) => s.kind === 'ppr');
    expect(ppr?.status).toBe(status);
    expect(ppr?.organisation !== undefined).toBe(namedWhenProtected);
    if (!namedWhenProtected) expect(ppr).not.toHaveProperty('agreements');
    const plainOut = run([answered('gp', 'gp', GP, 'found'), result]);
    expect(plainOut.sources.find((s) => s.kind === 'ppr')?.organisation !== undefined).toBe(namedWhenNot);
  });

  it('names a protected child’s source that the caller named itself', () => {
    const out = run([answered('ppr', 'ppr', PPR, 'not-found', 'named')], { addressProtected: true });
    expect(out.sources[0]).toMatchObject({ sourceId: 'ppr', organisation: { sor: PPR } });
  });

  it('never echoes the register’s protection flag to a caller permitted nowhere', () => {
    expect(run([denied('ppr', 'ppr', PPR)], { addressProtected: true }, ['ppr']).personRegister).toEqual({ status: 'withheld' });
  });
});
