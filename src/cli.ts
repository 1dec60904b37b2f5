/**
 * The `broker` command line: start the service, apply migrations, import SOR, verify the audit
 * chain, issue a demo token. Each command loads only the modules it needs, so a short command
 * (a token, an import) does not carry the whole broker in memory.
 */
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, type BrokerConfig, loadConfig } from './config/config.js';
import type { WorkerListening } from './system/supervisor.js';
import { isCpr, isOrganisationCode } from '../domain/identifiers.js';
import { ASSURANCE_LEVELS, type AssuranceLevel, ROLES, type Role } from './identity/caller.js';

async function openConfiguredDatabase(cfg: BrokerConfig) {
  const { openDatabase } = await import('../db/connection.js');
  const { migrateAs } = await import('../db/migrate.js');
  const database = await openDatabase(
    cfg.database.url
      ? // Batch commands (migrate, import, audit-verify) may run long statements; only connecting is bounded.
        { kind: 'server', url: cfg.database.url, timeouts: { ...cfg.database.timeouts, statementMs: 0, idleInTransactionMs: 0 } }
      : { kind: 'embedded', dataDir: path.join(cfg.dataDir, 'pg') },
  );
  try {
    return { database, applied: await migrateAs(database.db, cfg.database.migrationUrl) };
  } catch (error) {
    await database.close();
    throw error;
  }
}

function config(demo?: boolean, requireIssuers = true): BrokerConfig {
  try {
    return loadConfig(process.env, { ...(demo === undefined ? {} : { demo }), requireIssuers });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

const oneOf =
  <T extends string>(values: readonly T[]) =>
  (value: string): T => {
    if (!(values as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${values.join(', ')}`);
    return value as T;
  };

const program = new Command('broker').description('Child data broker: federated lookups, MedCom correspondence, sharing agreements, audit');

program
  .command('start')
  .description('run the broker (embedded PostgreSQL unless DATABASE_URL is set)')
  .option('--demo', 'demo mode: local demo issuer and demo data (refused when NODE_ENV=production)')
  .action(async (opts: { demo?: boolean }) => {
    const cfg = config(opts.demo ? true : undefined);
    const cluster = cfg.workers > 1 ? (await import('node:cluster')).default : null;
    const { createLogger } = await import('./logging/logger.js');
    const logger = createLogger({ level: cfg.logLevel, ...(cluster?.isWorker ? { base: { worker: process.pid } } : {}) });
    if (cluster?.isPrimary) {
      // Migrate once, before the workers start, rather than in every worker at once.
      const { database, applied } = await openConfiguredDatabase(cfg);
      if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
      await database.close();
      const { superviseWorkers } = await import('./system/supervisor.js');
      const code = await superviseWorkers({ workers: cfg.workers, logger, onListening: (url) => printBanner(url, cfg, 'server') });
      process.exit(code);
    }
    const { createBroker, listen } = await import('./main.js');
    const broker = await createBroker(cfg, { logger });
    const running = await listen(broker, cfg);
    if (cluster?.isWorker) {
      const message: WorkerListening = { type: 'broker-worker-listening', url: running.url };
      process.send?.(message);
    } else {
      logger.info({ url: running.url, database: broker.database.kind, demo: cfg.demo }, 'broker listening');
      printBanner(running.url, cfg, broker.database.kind);
    }
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal, graceSeconds: cfg.shutdownGraceSeconds }, 'stopping');
      // The stop itself is bounded too: if closing the database or the job queue hangs, exit anyway.
      setTimeout(() => {
        logger.error({ signal }, 'stop did not finish in time; exiting');
        process.exit(1);
      }, (cfg.shutdownGraceSeconds + 10) * 1000).unref();
      try {
        await running.close();
      } catch (error) {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      }
      process.exit(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
  });

function printBanner(url: string, cfg: BrokerConfig, database: 'embedded' | 'server'): void {
  if (!process.stdout.isTTY && !cfg.demo) return;
  const lines = [
    '',
    `  Broker listening on ${url}   (database: ${database === 'embedded' ? `embedded PGlite in ${path.join(cfg.dataDir, 'pg')}` : 'PostgreSQL server'}${cfg.workers > 1 ? `, ${cfg.workers} worker processes` : ''})`,
    `  API reference:     ${url}/docs`,
  ];
  if (cfg.demo) {
    lines.push(
      '  Demo token:        npm run -s broker -- token --role clinician --org <SOR code>',
      `  Try it:            curl -s -H "Authorization: Bearer $(npm run -s broker -- token --role clinician --org 1000000000000000)" ${url}/v1/me`,
    );
  }
  process.stderr.write(`${lines.join('\n')}\n\n`);
}

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(async () => {
    const { database, applied } = await openConfiguredDatabase(config(undefined, false));
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    await database.close();
  });

const sor = program.command('sor').description('the SOR organisation register');
sor
  .command('import')
  .description('import a SOR XML snapshot (file, URL, or the newest .xml in a directory) into the directory')
  .argument('<source>', 'file path, http(s) URL or directory')
  .action(async (location: string) => {
    const cfg = config(undefined, false);
    const { importProgressReporter } = await import('./directory/progress.js');
    const { SorImportError } = await import('./directory/sor-import.js');
    const { importSorFrom } = await import('./directory/sor-source.js');
    const { redactSourceLocation } = await import('./directory/source-location.js');
    const { announceChange } = await import('./platform/change-feed.js');
    const { database } = await openConfiguredDatabase(cfg);
    const progress = importProgressReporter();
    try {
      const result = await importSorFrom(database.db, location, {
        importedBy: `cli:${process.env.USER ?? 'unknown'}`,
        onProgress: (p) => progress.update(p),
      });
      progress.stop();
      if (!result.identicalToLast && result.added + result.changed + result.removed > 0) await announceChange(database.db, 'directory');
      console.log(
        result.identicalToLast
          ? `unchanged: ${redactSourceLocation(location)} is identical to the last import (${result.entities} entities)`
          : `imported ${result.entities} entities: ${result.added} added, ${result.changed} changed, ${result.removed} removed, ${result.unchanged} unchanged`,
      );
    } catch (error) {
      progress.stop();
      if (error instanceof SorImportError) {
        console.error(`import refused, nothing changed: ${error.message}`);
        process.exitCode = 1;
      } else throw error;
    } finally {
      await database.close();
    }
  });

const isoInstant = (value: string): Date => {
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at.getTime())) throw new InvalidArgumentError('expected an ISO 8601 date or instant');
  return at;
};

async function verifyAudit(opts: { from?: Date; to?: Date; checkpoints?: string }): Promise<void> {
  const cfg = config(undefined, false);
  const { checkAuditIntegrity } = await import('./audit/integrity.js');
  const { checkpointKeysFromConfig, readExportedCheckpoints } = await import('./audit/checkpoints.js');
  const keys = await checkpointKeysFromConfig(cfg);
  const exportFile = opts.checkpoints ?? cfg.auditCheckpoints.exportFile;
  let exported: Awaited<ReturnType<typeof readExportedCheckpoints>> = { checkpoints: [], unreadableLines: [] };
  if (exportFile) {
    exported = await readExportedCheckpoints(exportFile).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' && !opts.checkpoints) return { checkpoints: [], unreadableLines: [] };
      throw error;
    });
  }
  const { database } = await openConfiguredDatabase(cfg);
  try {
    const report = await checkAuditIntegrity(database.db, { keys: keys?.keys ?? null, ...(opts.from ? { from: opts.from } : {}), ...(opts.to ? { to: opts.to } : {}), exported: exported.checkpoints });
    const c = report.chain;
    console.log(
      c.brokenAt === null
        ? `audit chain intact: ${c.checked} records (${c.fromSeq}..${c.toSeq ?? 'head'}${c.anchoredAt ? `, from the signed checkpoint at ${c.anchoredAt}` : ''})`
        : `audit chain BROKEN at record ${c.brokenAt} (after ${c.checked} good records)`,
    );
    if (!report.checkpoints.configured) console.log('checkpoints: no signing key configured (BROKER_AUDIT_SIGNING_KEY): a truncation of the newest records cannot be seen');
    else {
      const last = report.checkpoints.last;
      console.log(`checkpoints: ${report.checkpoints.checked} checked${exportFile ? ` (database and ${exportFile})` : ''}; last signed ${last ? `at record ${last.seq}, ${last.signedAt}, key ${last.keyId}` : 'never'}`);
      for (const f of report.checkpoints.findings) console.log(`  checkpoint at record ${f.seq} (${f.source}): ${f.problem}`);
    }
    for (const line of exported.unreadableLines) console.log(`  ${exportFile}: line ${line} is not a checkpoint`);
    if (!report.ok || exported.unreadableLines.length > 0) {
      console.log(`audit log NOT intact${report.firstBrokenRecord ? `: first broken record ${report.firstBrokenRecord}` : ''}`);
      process.exitCode = 1;
    }
  } finally {
    await database.close();
  }
}

const audit = program.command('audit').description('the audit log');
audit
  .command('verify')
  .description('check the hash chain (over a period, anchored at a signed checkpoint) and every checkpoint; name the first broken record (exit 1)')
  .option('--from <instant>', 'first day or instant of the period', isoInstant)
  .option('--to <instant>', 'end of the period (exclusive)', isoInstant)
  .option('--checkpoints <file>', 'exported checkpoints to check against (default: BROKER_AUDIT_CHECKPOINT_FILE)')
  .action(verifyAudit);
program
  .command('audit-verify')
  .description('the same as `audit verify` over the whole log (kept for scripts that call it)')
  .action(() => verifyAudit({}));
audit
  .command('checkpoint')
  .description('sign the chain head now and export the checkpoint')
  .action(async () => {
    const cfg = config(undefined, false);
    const { checkpointKeysFromConfig, writeCheckpoint } = await import('./audit/checkpoints.js');
    const keys = await checkpointKeysFromConfig(cfg);
    if (!keys) {
      console.error('BROKER_AUDIT_SIGNING_KEY / BROKER_AUDIT_SIGNING_KEY_FILE: no audit signing key configured');
      process.exit(2);
    }
    const { database } = await openConfiguredDatabase(cfg);
    try {
      const checkpoint = await writeCheckpoint(database.db, keys.signer, { exportFile: cfg.auditCheckpoints.exportFile });
      console.log(checkpoint ? `signed record ${checkpoint.seq} (key ${checkpoint.keyId})` : 'nothing new since the last checkpoint');
    } finally {
      await database.close();
    }
  });

audit
  .command('export')
  .description('export the audit records of a period as NDJSON, CSV or FHIR R4 AuditEvents (IHE BALP), to a file or stdout')
  .requiredOption('--format <format>', 'ndjson, csv or fhir (NDJSON of AuditEvent resources)', oneOf(['ndjson', 'csv', 'fhir'] as const))
  .option('--from <instant>', 'first day or instant of the period (recorded at or after)', isoInstant)
  .option('--to <instant>', 'end of the period (exclusive)', isoInstant)
  .option('--cursor <seq>', 'resume after this record (the cursor a previous export printed)', (v: string) => {
    if (!/^[1-9]\d{0,18}$/.test(v)) throw new InvalidArgumentError('expected a record sequence number');
    return v;
  })
  .option('--out <file>', 'write to this file (appended to with --cursor) instead of stdout')
  .action(async (opts: { format: 'ndjson' | 'csv' | 'fhir'; from?: Date; to?: Date; cursor?: string; out?: string }) => {
    const cfg = config(undefined, false);
    const { createWriteStream } = await import('node:fs');
    const { finished } = await import('node:stream/promises');
    const { exportAudit } = await import('./audit/export/export.js');
    const { exportProgressReporter } = await import('./audit/export/progress.js');
    const { database } = await openConfiguredDatabase(cfg);
    const out = opts.out ? createWriteStream(opts.out, { flags: opts.cursor ? 'a' : 'w' }) : process.stdout;
    // Piped into `head` and the like: the reader has gone, so stop quietly.
    if (out === process.stdout) process.stdout.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' ? process.exit(0) : undefined));
    const progress = exportProgressReporter();
    try {
      const result = await exportAudit(database.db, {
        format: opts.format,
        out,
        ...(opts.from ? { from: opts.from } : {}),
        ...(opts.to ? { to: opts.to } : {}),
        ...(opts.cursor ? { afterSeq: opts.cursor } : {}),
        balp: { serverUrl: cfg.audience, codeSystemBase: 'urn:dk:child-data-broker:codes' },
        onStart: (total) => progress.start(total),
        onRecord: (seq) => progress.increment(seq),
      });
      progress.stop();
      if (out !== process.stdout) {
        out.end();
        await finished(out);
      }
      process.stderr.write(`exported ${result.records} records (${result.lines} lines)${result.cursor ? `; cursor ${result.cursor} (continue with --cursor ${result.cursor})` : ''}\n`);
    } catch (error) {
      progress.stop();
      throw error;
    } finally {
      await database.close();
    }
  });

program
  .command('jobs')
  .description('print the last run of each scheduled job, and the jobs waiting, retrying, active or failed per queue')
  .action(async () => {
    const { formatJobReport, listJobRuns, listSchedules, queueCounts } = await import('./jobs/job-runs.js');
    const { database } = await openConfiguredDatabase(config(undefined, false));
    try {
      console.log(formatJobReport(await listSchedules(database.db), await listJobRuns(database.db), await queueCounts(database.db)));
    } finally {
      await database.close();
    }
  });

program
  .command('token')
  .description('print a token from the local demo issuer (demo mode only)')
  .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`, oneOf(ROLES))
  .option('--org <sor>', 'SOR code of the organisation to act for (staff roles)')
  .option('--cpr <cpr>', 'with --role citizen: the citizen\'s own CPR number')
  .option('--purpose <code>', 'purpose of use', 'child-welfare-concern')
  .option('--assurance <level>', `NSIS level: ${ASSURANCE_LEVELS.join(', ')}`, oneOf(ASSURANCE_LEVELS), 'substantial' as AssuranceLevel)
  .option('--subject <id>', 'user id at the identity provider (default: demo-user; with --role medcom-gateway the demo gateway, the one let in at /v1/medcom/inbound)')
  .option('--name <name>', 'display name')
  .option('--ttl <seconds>', 'lifetime in seconds', (v) => Number.parseInt(v, 10), 600)
  .action(async (opts: { role: Role; org?: string; cpr?: string; purpose: string; assurance: AssuranceLevel; subject?: string; name?: string; ttl: number }) => {
    const cfg = config(true);
    if (opts.role === 'citizen') {
      // A citizen has no organisation: the token carries their CPR instead (see The citizen's side).
      if (!opts.cpr || !isCpr(opts.cpr)) {
        console.error('--role citizen needs --cpr <10-digit CPR number>');
        process.exit(2);
      }
      const { ensureDemoIssuerKey, mintDemoCitizenToken } = await import('./demo/demo-issuer.js');
      const key = await ensureDemoIssuerKey(cfg.dataDir);
      const citizenToken = await mintDemoCitizenToken(key, {
        audience: cfg.audience,
        subject: opts.subject ?? 'demo-citizen',
        cpr: opts.cpr,
        assurance: opts.assurance,
        lifetimeSeconds: opts.ttl,
        ...(opts.name ? { displayName: opts.name } : {}),
      });
      process.stdout.write(`${citizenToken}\n`);
      return;
    }
    if (!opts.org || !isOrganisationCode(opts.org)) {
      console.error('--org must be a SOR code');
      process.exit(2);
    }
    const { DEMO_GATEWAY_SUBJECT, ensureDemoIssuerKey, mintDemoToken } = await import('./demo/demo-issuer.js');
    const key = await ensureDemoIssuerKey(cfg.dataDir);
    const token = await mintDemoToken(key, {
      audience: cfg.audience,
      subject: opts.subject ?? (opts.role === 'medcom-gateway' ? DEMO_GATEWAY_SUBJECT : 'demo-user'),
      organisationSor: opts.org,
      role: opts.role,
      assurance: opts.assurance,
      purposeOfUse: opts.purpose,
      lifetimeSeconds: opts.ttl,
      ...(opts.name ? { displayName: opts.name } : {}),
    });
    process.stdout.write(`${token}\n`);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Expected refusals get their message, not a stack trace.
  if (error instanceof Error && error.name === 'DatabaseInUseError') {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
