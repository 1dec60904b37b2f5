/**
 * Editing an agreement's terms, whatever state it is in (pure; see lifecycle.ts):
 * - a draft is edited in place;
 * - a version awaiting approval is replaced by a new version awaiting approval, and the old one
 *   is superseded, so an approval given to the old wording never counts for the new one;
 * - an active agreement is amended: a new version awaits approval while the old one stays in force.
 */
import type { DecisionDirectoryView } from '../directory/memory-view.js';
import { amend, validateTerms, type Transition } from './lifecycle.js';
import type { Agreement, AgreementRecord, AgreementTerms } from './model.js';

function latest(record: AgreementRecord): Agreement | undefined {
  return record.versions.reduce<Agreement | undefined>((m, v) => (m === undefined || v.version > m.version ? v : m), undefined);
}

export function revise(record: AgreementRecord, terms: AgreementTerms, directory: DecisionDirectoryView, at: Date): Transition {
  const last = latest(record);
  if (last && (last.status === 'draft' || last.status === 'awaiting-approval')) {
    const issues = validateTerms(terms, directory, at);
    if (issues.length > 0) {
      return { ok: false, refusal: { code: 'draft-invalid', detail: `the terms have ${issues.length} problem(s)`, issues } };
    }
    if (last.status === 'draft') {
      const edited: Agreement = { ...last, ...terms, id: record.id, version: last.version, status: 'draft', approvals: [] };
      return { ok: true, record: { id: record.id, versions: record.versions.map((v) => (v.version === last.version ? edited : v)) } };
    }
    const next: Agreement = {
      ...terms,
      id: record.id,
      version: last.version + 1,
      status: 'awaiting-approval',
      approvals: [],
      amends: last.amends,
    };
    return {
      ok: true,
      record: {
        id: record.id,
        versions: [...record.versions.map((v) => (v.version === last.version ? { ...v, status: 'superseded' as const } : v)), next],
      },
    };
  }
  return amend(record, terms, directory, at);
}
