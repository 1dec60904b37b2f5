/**
 * CSV export of the agreement overview (RFC 4180: comma-separated, CRLF, quoted where needed).
 * Cells that a spreadsheet would run as a formula are prefixed with an apostrophe.
 */
import type { PartySelector } from './model.js';
import type { ListRow } from './store.js';

export const CSV_HEADER = [
  'id', 'title', 'status', 'version', 'side_a', 'side_a_approver', 'side_b', 'side_b_approver', 'direction',
  'data_elements', 'purposes', 'roles', 'minimum_assurance', 'legal_basis', 'legal_reference', 'valid_from', 'valid_to', 'updated_at',
] as const;

export function describeSelector(s: PartySelector): string {
  switch (s.kind) {
    case 'unit':
      return `unit:${s.sor}`;
    case 'subtree':
      return `subtree:${s.sor}`;
    case 'unit-type':
      return s.area.kind === 'region' ? `unit-type:${s.unitType}@region:${s.area.regionCode}` : `unit-type:${s.unitType}@municipality:${s.area.municipalityCode}`;
  }
}

export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvRow(row: ListRow): string {
  const a = row.agreement;
  const cells = [
    a.id, a.title, row.status, String(a.version),
    a.sideA.parties.map(describeSelector).join(' '), a.sideA.approvingOrganisationSor,
    a.sideB.parties.map(describeSelector).join(' '), a.sideB.approvingOrganisationSor,
    a.direction, a.dataElements.join(' '), a.purposes.join(' '), a.roles.join(' '), a.minimumAssurance,
    a.legalBasis.code, a.legalBasis.reference, a.period.validFrom, a.period.validTo ?? '', row.updatedAt.toISOString(),
  ];
  return cells.map(csvCell).join(',');
}

export function toCsv(rows: readonly ListRow[]): string {
  return [CSV_HEADER.join(','), ...rows.map(csvRow)].join('\r\n') + '\r\n';
}
