/**
 * Directory and agreements for the correspondence tests: the North Jutland SOR fixture imported
 * (with its EAN numbers), the pilot agreements, and the real organisations the MedCom samples in
 * fixtures/medcom/ are addressed to, inserted as served organisations with their GLNs.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import { seedDemoAgreements } from '../../src/agreements/seed.js';
import { importSorSnapshot } from '../../src/directory/sor-import.js';
import { type TestIssuer, createTestIssuer } from './issuers.js';
import { NORTH_JUTLAND_XML, sorInput } from './sor-files.js';

/** Parties of the MedCom samples (SOR code, GLN), as the messages name them. */
export const SAMPLE_ORGANISATIONS: ReadonlyArray<{ sor: string; gln: string; name: string }> = [
  { sor: '323041000016001', gln: '5790000120048', name: 'Almen praksis 2' },
  { sor: '307411000016009', gln: '5790000173174', name: 'Aarhus Trøjborg Apotek' },
  { sor: '937961000016000', gln: '5790000123117', name: 'Systematic Care' },
  { sor: '554771000016008', gln: '5790002015748', name: 'Afdeling for Bioinformatik, Statens Serum Institut' },
  { sor: '271321000016001', gln: '5790000180141', name: 'Mave- og Tarmkirurgi - Randers' },
  { sor: '927021000016008', gln: '5790000187508', name: 'Onkologisk Klinik ONK' },
  { sor: '359001000016000', gln: '5790001382445', name: 'MedCom testcenter' },
  { sor: '328051000016008', gln: '5790000121441', name: 'Hjemmeplejen, Odense Kommune' },
  // Parties of the Acknowledgement samples.
  { sor: '953741000016009', gln: '5790001348120', name: 'Sender Organization' },
  { sor: '265161000016000', gln: '5790000209354', name: 'Receiver Organization' },
];

/** North Jutland codes used by the correspondence tests (fixtures/sor/north-jutland.md). */
export const MC = {
  region: '9500011000016001',
  childPsychiatry: '9500031000016003',
  /** Inherits EAN 5790009100034 from child psychiatry. */
  teamAalborg: '9500041000016004',
  childPsychiatryEan: '5790009100034',
  /** GP clinic (unit type GP practice), EAN 5790009110002 inherited from its owner. */
  gpClinic: '9510031000016003',
  gpEan: '5790009110002',
  aalborgPpr: '9520041000016004',
  aalborgPprEan: '5790009120049',
} as const;

export async function seedCorrespondenceDirectory(db: Kysely<Database>): Promise<void> {
  await importSorSnapshot(db, sorInput(NORTH_JUTLAND_XML), { importedBy: 'test' });
  const now = new Date();
  await db
    .insertInto('organisation')
    .values(
      SAMPLE_ORGANISATIONS.map((o) => ({
        sor: o.sor,
        parent_sor: null,
        level: 'institution-owner',
        name: o.name,
        unit_type: null,
        owner_type: null,
        region_code: null,
        municipality_code: null,
        ydernummer: null,
        shak_code: null,
        own_eans: [o.gln],
        valid_from: '2010-01-01',
        valid_to: null,
        local: false,
        path: `/${o.sor}/`,
        details: JSON.stringify({ addresses: [], phones: [], emails: [], websites: [], specialities: [], replacedBy: [], eans: [] }),
        content_hash: `test-${o.sor}`,
        removed_at: null,
        recorded_at: now,
      })),
    )
    .execute();
  await seedDemoAgreements(db);
}

/** Every root of the test directory: an issuer with these may speak for every organisation. */
export const ROOTS = ['9500011000016001', '9510011000016001', '9510111000016001', '9510211000016001', '9520011000016001', ...SAMPLE_ORGANISATIONS.map((o) => o.sor)];

/** The subject of the test MedCom gateway's tokens, the one the broker is configured to let in. */
export const GATEWAY_SUBJECT = 'vans-gateway';

/**
 * The issuer of the MedCom gateway's tokens: it may assert the medcom-gateway role only, and its
 * tokens carry GATEWAY_SUBJECT unless a test says otherwise. Configure the broker with gatewayEnv().
 */
export async function createTestGatewayIssuer(issuer: string, organisations: string[] = [MC.region]): Promise<TestIssuer> {
  const base = await createTestIssuer({ issuer, organisations, roles: ['medcom-gateway'] });
  return { ...base, token: (request) => base.token({ subject: GATEWAY_SUBJECT, ...request }) };
}

/** The broker environment that names `issuer`'s GATEWAY_SUBJECT as the one MedCom gateway identity. */
export const gatewayEnv = (issuer: Pick<TestIssuer, 'issuer'>): Record<string, string> => ({
  MEDCOM_GATEWAY_IDENTITIES: JSON.stringify([{ issuer: issuer.issuer, subject: GATEWAY_SUBJECT }]),
});

/** A stand-in MedCom gateway on loopback: records every envelope posted, can fail or hang. */
export interface TestGateway {
  readonly url: string;
  readonly envelopes: string[];
  /** 'ok': 202; 'fail': 503; 'hang': never answers. */
  mode: 'ok' | 'fail' | 'hang';
  close(): Promise<void>;
}

export async function startTestGateway(): Promise<TestGateway> {
  const { createServer } = await import('node:http');
  const envelopes: string[] = [];
  const gateway = { mode: 'ok' as TestGateway['mode'] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (gateway.mode === 'hang') return;
      if (gateway.mode === 'fail') {
        res.statusCode = 503;
        res.end();
        return;
      }
      envelopes.push(Buffer.concat(chunks).toString('utf8'));
      res.statusCode = 202;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(gateway, {
    url: `http://127.0.0.1:${port}/vans`,
    envelopes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** Polls until `check` returns a value (not undefined/false) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
