import { describe, expect, it } from 'vitest';
import { csvCell, describeSelector } from './csv.js';

describe('CSV export cells', () => {
  it('quotes separators, quotes and line breaks', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a, b')).toBe('"a, b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
  });

  it('defuses cells a spreadsheet would run as a formula', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('+45 1234')).toBe("'+45 1234");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
  });

  it('describes each kind of party selector', () => {
    expect(describeSelector({ kind: 'unit', sor: '9520041000016004' })).toBe('unit:9520041000016004');
    expect(describeSelector({ kind: 'subtree', sor: '9500031000016003' })).toBe('subtree:9500031000016003');
    expect(describeSelector({ kind: 'unit-type', unitType: '394761003', area: { kind: 'region', regionCode: '1081' } })).toBe(
      'unit-type:394761003@region:1081',
    );
    expect(describeSelector({ kind: 'unit-type', unitType: 'ppr', area: { kind: 'municipality', municipalityCode: '851' } })).toBe(
      'unit-type:ppr@municipality:851',
    );
  });
});
