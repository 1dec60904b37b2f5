/**
 * `broker audit export`: the audit records of a period as NDJSON, CSV or FHIR R4 AuditEvents
 * (NDJSON, one resource a line, as FHIR bulk data), written to a stream with backpressure.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema/index.js';
import { type BalpContext, DEFAULT_BALP_CONTEXT, toAuditEvents } from './balp.js';
import { auditCsvHeaderLine, auditCsvLine } from './csv.js';
import { ndjsonLine } from './ndjson.js';
import { type ExportPeriod, countAuditRecords, readAuditRecords } from './reader.js';

export const EXPORT_FORMATS = ['ndjson', 'csv', 'fhir'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportResult {
  readonly records: number;
  readonly lines: number;
  /** The seq of the last record written: `--cursor` to continue after it. */
  readonly cursor: string | null;
}

export async function exportAudit(
  db: Kysely<Database>,
  options: ExportPeriod & {
    readonly format: ExportFormat;
    readonly out: Writable;
    readonly balp?: BalpContext;
    readonly pageSize?: number;
    readonly onStart?: (total: number) => void;
    readonly onRecord?: (seq: string) => void;
  },
): Promise<ExportResult> {
  const { format, out } = options;
  const period: ExportPeriod = { ...(options.from ? { from: options.from } : {}), ...(options.to ? { to: options.to } : {}), ...(options.afterSeq ? { afterSeq: options.afterSeq } : {}) };
  options.onStart?.(await countAuditRecords(db, period));
  const write = async (chunk: string) => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  let records = 0;
  let lines = 0;
  let cursor: string | null = options.afterSeq ?? null;
  // A resumed CSV export appends to the first part, so it has no second header.
  if (format === 'csv' && !options.afterSeq) {
    await write(auditCsvHeaderLine());
    lines += 1;
  }
  for await (const record of readAuditRecords(db, period, options.pageSize)) {
    if (format === 'ndjson') {
      await write(ndjsonLine(record));
      lines += 1;
    } else if (format === 'csv') {
      await write(auditCsvLine(record));
      lines += 1;
    } else {
      for (const event of toAuditEvents(record, options.balp ?? DEFAULT_BALP_CONTEXT)) {
        await write(ndjsonLine(event));
        lines += 1;
      }
    }
    records += 1;
    cursor = record.seq;
    options.onRecord?.(record.seq);
  }
  return { records, lines, cursor };
}
