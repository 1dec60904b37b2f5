/**
 * Starts a real broker on a loopback port over a test database, with test issuers trusted.
 */
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logging/logger.js';
import { type BrokerOptions, createBroker, listen, type RunningBroker } from '../../src/main.js';
import type { DatabaseHandle } from '../../db/connection.js';
import { TEST_AUDIENCE, type TestIssuer } from './issuers.js';

export interface TestBroker extends RunningBroker {
  /** Every log line the broker wrote, raw. */
  readonly logs: string[];
  request(path: string, init?: RequestInit): Promise<Response>;
}

export async function startTestBroker(options: {
  database: DatabaseHandle;
  issuers: readonly TestIssuer[];
  env?: Record<string, string>;
  organisations?: BrokerOptions['organisations'];
  sources?: BrokerOptions['sources'];
}): Promise<TestBroker> {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString('utf8'));
      callback();
    },
  });
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    BROKER_AUDIENCE: TEST_AUDIENCE,
    BROKER_TRUSTED_ISSUERS: JSON.stringify(options.issuers.map((i) => i.config)),
    LOG_LEVEL: 'info',
    ...options.env,
  });
  const logger = createLogger({ level: config.logLevel, destination });
  const broker = await createBroker(config, {
    logger,
    database: options.database,
    ...(options.organisations ? { organisations: options.organisations } : {}),
    ...(options.sources ? { sources: options.sources } : {}),
  });
  const running = await listen(broker, config);
  return {
    ...running,
    logs,
    request: (path, init) => fetch(`${running.url}${path}`, init),
  };
}
