/**
 * Demo mode's citizen data: seeded once, on top of the SOR extract and the pilot agreements; the
 * override is in the audit chain as a lookup would write it, and the anomaly review flags it.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../db/connection.js';
import { DEFAULT_ANOMALY_RULES, runAnomalyRules } from '../src/audit/anomaly.js';
import { DEMO_CITIZEN, DEMO_CONSENT_AGREEMENT_ID, DEMO_OVERRIDE_REASON } from '../src/demo/demo-citizen.js';
import { seedDemoData } from '../src/demo/seed-demo-data.js';
import { createLogger } from '../src/logging/logger.js';
import { createTestDatabase } from './helpers/database.js';

describe('demo citizen data', () => {
  let database: DatabaseHandle;
  const logger = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    await seedDemoData(database.db, logger);
    await seedDemoData(database.db, logger);
  }, 60_000);
  afterAll(async () => database?.close());

  it('has one block, one consent-based agreement and one override, seeded once', async () => {
    const blocks = await database.db.selectFrom('citizen_block').selectAll().execute();
    expect(blocks.map((b) => [b.patient_cpr, b.target_sor])).toEqual([[DEMO_CITIZEN.noah, DEMO_CITIZEN.gpVestergaard]]);
    expect(await database.db.selectFrom('agreement').select('id').where('id', '=', DEMO_CONSENT_AGREEMENT_ID).execute()).toHaveLength(1);
    const overrides = await database.db.selectFrom('audit_event').selectAll().where('kind', '=', 'lookup').execute();
    expect(overrides).toHaveLength(1);
    expect((overrides[0]?.details['override'] as { reason: string }).reason).toBe(DEMO_OVERRIDE_REASON);
  });

  it('the override is flagged for review', async () => {
    await runAnomalyRules(database.db, DEFAULT_ANOMALY_RULES, new Date());
    const flags = await database.db.selectFrom('anomaly_flag').selectAll().where('rule', '=', 'emergency-override').execute();
    expect(flags).toHaveLength(1);
  });
});
