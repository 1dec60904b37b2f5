/**
 * The citizen's side of lookups: blocks read from the database and consents from the national
 * consent service (in demo mode, a simulator on loopback), handed to the lookup as CitizenChecks.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { createConsentService } from '../../adapters/consent/index.js';
import { startConsentSimulator } from '../../adapters/simulators/consent-simulator.js';
import type { Database } from '../../db/schema/index.js';
import type { BrokerConfig } from '../config/config.js';
import { DEMO_CONSENTS } from '../demo/demo-citizen.js';
import { liveBlocksOf } from './blocks-store.js';
import type { CitizenChecks } from './lookup-checks.js';

export interface CitizenCapabilityDeps {
  readonly db: Kysely<Database>;
  readonly consentService: BrokerConfig['consentService'];
  readonly demo: boolean;
  readonly logger: Logger;
}

export async function createCitizenChecks(deps: CitizenCapabilityDeps): Promise<{ checks: CitizenChecks; stop(): Promise<void> }> {
  let service = deps.consentService;
  let stop: () => Promise<void> = async () => undefined;
  if (!service && deps.demo) {
    const simulator = await startConsentSimulator(DEMO_CONSENTS);
    stop = () => simulator.close();
    service = { url: simulator.url, token: null, timeoutMs: 500 };
    deps.logger.info('demo: simulated consent service (Digitalt Samtykke) started on loopback');
  }
  const consents = service
    ? { ...createConsentService({ baseUrl: service.url, auth: service.token ? { type: 'bearer', token: service.token } : { type: 'none' } }), timeoutMs: service.timeoutMs }
    : null;
  return { checks: { blocksOf: (cpr) => liveBlocksOf(deps.db, cpr), consents }, stop };
}
