import { describe, it, expect } from 'vitest';
import { LEGAL_BASES, isLegalBasisCode, legalBasis } from './legal-basis.js';

describe('legal bases', () => {
  it('has unique codes, each with a label and a source', () => {
    const codes = LEGAL_BASES.map((b) => b.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const b of LEGAL_BASES) {
      expect(b.label.length).toBeGreaterThan(10);
      expect(b.source.length).toBeGreaterThan(5);
    }
  });

  it('recognises listed codes and rejects others', () => {
    expect(isLegalBasisCode('consent-digitalt-samtykke')).toBe(true);
    expect(legalBasis('consent-digitalt-samtykke')?.consentBased).toBe(true);
    expect(isLegalBasisCode('serviceloven-49-b')).toBe(false);
    expect(legalBasis('serviceloven-49-b')).toBeUndefined();
  });
});
