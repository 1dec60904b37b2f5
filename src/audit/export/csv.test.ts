import { describe, expect, it } from 'vitest';
import { AUDIT_CSV_HEADER, auditCsvHeaderLine, auditCsvLine } from './csv.js';
import { ndjsonLine } from './ndjson.js';
import type { ExportRecord } from './record.js';

const record = (over: Partial<ExportRecord>): ExportRecord => ({
  seq: '1', id: 'id-1', occurredAt: '2026-12-01T10:00:00.000Z', recordedAt: '2026-12-01T10:00:00.100Z', kind: 'lookup', outcome: 'success', requestId: null,
  actor: { issuer: null, subject: null, name: null, role: null, organisation: null, assurance: null, callingSystem: null },
  purpose: null, reason: null, patientCpr: null, details: {}, ...over,
});

describe('audit CSV', () => {
  it('has one header cell per column', () => {
    expect(auditCsvHeaderLine()).toBe(`${AUDIT_CSV_HEADER.join(',')}\r\n`);
    expect(auditCsvLine(record({})).split(',')).toHaveLength(AUDIT_CSV_HEADER.length);
  });
  const cases: { name: string; reason: string; cell: string }[] = [
    { name: 'plain', reason: 'Bekymring', cell: 'Bekymring' },
    { name: 'comma and quote', reason: 'a, "b"', cell: '"a, ""b"""' },
    { name: 'newline', reason: 'a\nb', cell: '"a\nb"' },
    { name: 'formula', reason: '=HYPERLINK("x")', cell: `"'=HYPERLINK(""x"")"` },
    { name: 'minus', reason: '-1+1', cell: "'-1+1" },
  ];
  for (const c of cases) {
    it(`quotes and defuses: ${c.name}`, () => {
      const line = auditCsvLine(record({ reason: c.reason }));
      expect(line.endsWith('\r\n')).toBe(true);
      expect(line).toContain(`,${c.cell},`);
    });
  }
  it('keeps details as JSON in the last cell', () => {
    expect(auditCsvLine(record({ details: { a: 1 } })).trimEnd().endsWith(',"{""a"":1}"')).toBe(true);
  });
});

describe('NDJSON', () => {
  it('is one line per value, whatever the text holds', () => {
    const line = ndjsonLine({ reason: 'a\nb\u2028c' });
    expect(line.split('\n')).toEqual([expect.any(String), '']);
    expect(JSON.parse(line)).toEqual({ reason: 'a\nb\u2028c' });
  });
});
