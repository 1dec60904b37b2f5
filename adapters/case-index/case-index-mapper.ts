import type { SourceCase } from '../source.js';
import { kleMatches, mapProgressStatus, mapSensitivity } from './case-status.js';
import type { IndexCase } from './fremsoeg-response.js';

/**
 * Index cases -> SourceCases. Pure. Leaves out cases outside the source's KLE numbers (the index
 * should have filtered; we do not rely on it), cases without a primary party, and cases closed
 * more than `closedCaseMonths` before `now`.
 */
export interface CaseMappingOptions {
  kle: readonly string[];
  closedCaseMonths: number;
  now: Date;
}

export function mapIndexCases(cases: IndexCase[], opts: CaseMappingOptions): { cases: SourceCase[]; notes: string[] } {
  const notes: string[] = [];
  const note = (n: string) => {
    if (!notes.includes(n)) notes.push(n);
  };
  const cutoff = new Date(opts.now);
  cutoff.setUTCMonth(cutoff.getUTCMonth() - opts.closedCaseMonths);
  const cutoffDate = cutoff.toISOString().slice(0, 10);

  const mapped: SourceCase[] = [];
  for (const c of cases) {
    if (!c.kle || !kleMatches(c.kle, opts.kle)) {
      note('case outside the configured KLE numbers left out');
      continue;
    }
    if (!c.primaryPartyCpr) {
      note('case without primary party left out');
      continue;
    }
    const current = currentProgress(c.progress);
    const status = current ? mapProgressStatus(current.code) : undefined;
    if (current && !status) note('unknown case status');
    const closedAt = status === 'closed' ? isoDate(current?.from ?? null) : null;
    if (status === 'closed' && closedAt && closedAt < cutoffDate) {
      note('cases closed long ago left out');
      continue;
    }
    mapped.push({
      caseId: c.caseId,
      subjectCpr: c.primaryPartyCpr,
      status: status ?? 'open',
      sourceStatus: current?.code ?? '',
      since: isoDate(current?.from ?? null),
      closedAt,
      title: c.title,
      sensitivity: mapSensitivity(c.sensitivity),
      kle: c.kle,
      responsibleUnit:
        c.responsibleUnitName || c.ownerCvr
          ? { sor: null, name: c.responsibleUnitName ?? c.ownerName, ean: null, municipalityCvr: c.ownerCvr }
          : null,
      contact: c.caseworkerName ? { name: c.caseworkerName, role: 'sagsbehandler', phone: null, email: null } : null,
    });
  }
  return { cases: mapped, notes };
}

/** The progress entry still in effect (no end), else the one that started last. */
function currentProgress(progress: IndexCase['progress']): IndexCase['progress'][number] | undefined {
  const open = progress.filter((p) => !p.to);
  const pool = open.length > 0 ? open : progress;
  return [...pool].sort((a, b) => (a.from ?? '').localeCompare(b.from ?? '')).at(-1);
}

function isoDate(v: string | null): string | null {
  return v ? (/^(\d{4}-\d{2}-\d{2})/.exec(v)?.[1] ?? null) : null;
}
