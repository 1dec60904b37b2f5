/**
 * Demo mode's data: the North Jutland SOR extract and the pilot's agreements, loaded on first
 * start so that a newcomer can look up a demo child right away. Nothing here runs outside demo
 * mode (which the configuration refuses in production).
 */
import { createReadStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../db/schema/index.js';
import { seedDemoAgreements } from '../agreements/index.js';
import { importSorSnapshot } from '../directory/sor-import.js';
import { createMemoryDirectoryView } from '../directory/memory-view.js';
import { loadOrganisations } from '../directory/directory-cache.js';
import { seedDemoCitizen } from './demo-citizen.js';

function fixture(relative: string): string {
  const candidates = [`../../${relative}`, `../../../${relative}`].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((p) => existsSync(p)) ?? (candidates[0] as string);
}

export async function seedDemoData(db: Kysely<Database>, logger: Logger): Promise<void> {
  const organisations = await db.selectFrom('organisation').select('sor').limit(1).execute();
  if (organisations.length === 0) {
    const file = fixture('fixtures/sor/north-jutland.xml');
    const result = await importSorSnapshot(db, { source: 'north-jutland.xml (demo)', stream: createReadStream(file) }, { importedBy: 'demo-seed' });
    logger.info({ entities: result.entities }, 'demo: North Jutland SOR extract imported');
  }
  const agreements = await seedDemoAgreements(db, { directory: createMemoryDirectoryView(await loadOrganisations(db)) });
  if (agreements > 0) logger.info({ agreements }, 'demo: pilot agreements loaded');
  await seedDemoCitizen(db, logger);
}
