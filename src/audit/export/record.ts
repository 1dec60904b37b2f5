/**
 * One audit record as exported: the broker's one record view (src/audit/record-view.ts), which
 * every export format starts from.
 */
import { type AuditRecordView, auditRecordFromRow } from '../record-view.js';

export type ExportRecord = AuditRecordView;
export const exportRecordFromRow = auditRecordFromRow;
