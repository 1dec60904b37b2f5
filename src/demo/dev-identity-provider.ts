/**
 * The demo's development identity provider: a real OpenID Connect provider (oidc-provider) on its
 * own loopback port, so that the console signs in exactly as it would against an organisation's
 * identity provider (authorization code flow with PKCE). Its users are the demo users below, one
 * per role and organisation of the demo data; one works for two municipalities and chooses which
 * one she acts for on the sign-in page, as a real NSIS broker lets a user choose. It signs with the
 * demo issuer's key (or a test's key); the broker trusts it under its own issuer URL, for staff roles.
 * Demo and tests only: nothing here is reachable in production (the configuration refuses demo mode).
 */
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';
import { CLAIMS, type Role } from '../identity/caller.js';

/** Staff roles only: citizens sign in through their own identity provider, not the console's. */
type ConsoleRole = Exclude<Role, 'citizen'>;

export interface DemoUser {
  readonly id: string;
  readonly name: string;
  readonly role: ConsoleRole;
  /** SOR codes of the organisations the user works for; the first is the default. */
  readonly organisations: readonly { readonly sor: string; readonly name: string }[];
}

const REGION = { sor: '9500011000016001', name: 'Region Nordjylland' };
const AALBORG = { sor: '9520011000016001', name: 'Aalborg Kommune' };
const BROENDERSLEV = { sor: '9520111000016001', name: 'Brønderslev Kommune' };

/** The demo users: every staff role, the region and the municipalities of the demo agreements. */
export const DEMO_USERS: readonly DemoUser[] = [
  { id: 'region-admin', name: 'Rikke Andersen', role: 'agreement-admin', organisations: [REGION] },
  { id: 'municipal-admin', name: 'Mads Kristensen', role: 'agreement-admin', organisations: [AALBORG, BROENDERSLEV] },
  { id: 'region-auditor', name: 'Ida Holm', role: 'auditor', organisations: [REGION] },
  { id: 'municipal-auditor', name: 'Ole Juhl', role: 'auditor', organisations: [AALBORG] },
  { id: 'child-psychiatrist', name: 'Karen Bach', role: 'clinician', organisations: [{ sor: '9500031000016003', name: 'Børne- og Ungdomspsykiatrisk Afdeling' }] },
  { id: 'caseworker', name: 'Lars Mikkelsen', role: 'caseworker', organisations: [{ sor: '9520041000016004', name: 'PPR, Aalborg Kommune' }] },
];

/** The purpose of use each role's sessions carry (the token requires one). */
const PURPOSE: Readonly<Record<ConsoleRole, string>> = {
  clinician: 'treatment',
  caseworker: 'case-assessment',
  'agreement-admin': 'administration',
  auditor: 'audit',
  'medcom-gateway': 'messaging',
};

export const DEV_IDP_CLIENT_ID = 'broker-console';

export interface DevIdentityProvider {
  /** The issuer URL (http://127.0.0.1:<port>), which the broker trusts in demo mode. */
  readonly issuer: string;
  close(): Promise<void>;
}

export interface DevIdentityProviderOptions {
  /** The private signing key (EC P-256 JWK with kid): the demo issuer's, or a test's. */
  readonly signingKey: JWK & { kid: string };
  readonly port?: number;
  readonly users?: readonly DemoUser[];
  /** The console's client id (the audience of its ID tokens). */
  readonly clientId?: string;
  /** ID token lifetime; short: the console keeps its own session. */
  readonly idTokenSeconds?: number;
}

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 10_000) req.destroy(new Error('form too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function signInPage(uid: string, users: readonly DemoUser[]): string {
  const options = users
    .map((u) => {
      const orgs = u.organisations
        .map(
          (o, i) =>
            `<li><input type="radio" name="account" id="a-${escape(u.id)}-${i}" value="${escape(u.id)}@${escape(o.sor)}" required>` +
            `<label for="a-${escape(u.id)}-${i}">${escape(u.name)}, ${escape(u.role)}, ${escape(o.name)}</label></li>`,
        )
        .join('');
      return orgs;
    })
    .join('');
  return `<!doctype html><html lang="da"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log ind (udviklings-IdP)</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}ul{list-style:none;padding:0}li{margin:.4rem 0}
button{font-size:1rem;padding:.5rem 1.2rem;background:#0b4f8a;color:#fff;border:0;border-radius:4px}button:focus{outline:3px solid #f5a623}</style></head>
<body><main><h1>Log ind (udviklings-IdP)</h1>
<p>Demo-identitetsudbyder. Vælg en bruger og den organisation, du handler for.</p>
<form method="post" action="/interaction/${escape(uid)}"><fieldset><legend>Bruger og organisation</legend><ul>${options}</ul></fieldset>
<button type="submit">Log ind</button></form></main></body></html>`;
}

export async function startDevIdentityProvider(options: DevIdentityProviderOptions): Promise<DevIdentityProvider> {
  const users = options.users ?? DEMO_USERS;
  const clientId = options.clientId ?? DEV_IDP_CLIENT_ID;
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        // A native (public) client on loopback: any port of these redirect URIs is allowed (RFC 8252 7.3),
        // so a broker on a random test port signs in without registering its port.
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: ['http://127.0.0.1/console/callback'],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [{ ...options.signingKey, alg: 'ES256', use: 'sig' }] as never },
    pkce: { required: () => true },
    cookies: { keys: [randomUUID()] },
    features: { devInteractions: { enabled: false } },
    claims: { openid: ['sub', 'jti', CLAIMS.actingOrganisation, CLAIMS.role, CLAIMS.assurance, CLAIMS.purposeOfUse, CLAIMS.displayName] },
    conformIdTokenClaims: false,
    ttl: { IdToken: options.idTokenSeconds ?? 300, AccessToken: 300, Session: 3600, Interaction: 600, Grant: 3600, AuthorizationCode: 60 },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, accountId) {
      const [userId, org] = accountId.split('@');
      const user = users.find((u) => u.id === userId);
      if (!user || !user.organisations.some((o) => o.sor === org)) return undefined;
      return {
        accountId,
        claims: () => ({
          // One subject per user and organisation, as MitID Erhverv gives an employee one identity per employer.
          sub: accountId,
          // The broker refuses a token without jti (replay guard): every ID token gets its own.
          jti: randomUUID(),
          [CLAIMS.actingOrganisation]: org,
          [CLAIMS.role]: user.role,
          [CLAIMS.assurance]: 'substantial',
          [CLAIMS.purposeOfUse]: PURPOSE[user.role],
          [CLAIMS.displayName]: user.name,
        }),
      };
    },
  };
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', issuer);
    const match = /^\/interaction\/([A-Za-z0-9_-]{1,100})$/.exec(url.pathname);
    if (!match) {
      callback(req, res);
      return;
    }
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        if (details.uid !== match[1]) throw new Error('interaction mismatch');
        // The console is the demo's own client: consent is implied, as an organisation would configure it.
        if (details.prompt.name === 'consent' && details.session?.accountId) {
          const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ clientId: String(details.params.client_id), accountId: details.session.accountId });
          if (!grant) throw new Error('grant gone');
          grant.addOIDCScope('openid');
          await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
          return;
        }
        if (req.method === 'GET') {
          res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
          res.end(signInPage(details.uid, users));
          return;
        }
        if (req.method !== 'POST') {
          res.writeHead(405).end();
          return;
        }
        const account = (await readForm(req)).get('account') ?? '';
        const [userId, org] = account.split('@');
        const user = users.find((u) => u.id === userId);
        if (!user || !user.organisations.some((o) => o.sor === org)) {
          res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('unknown user or organisation');
          return;
        }
        await provider.interactionFinished(req, res, { login: { accountId: account } }, { mergeWithLastSubmission: false });
      } catch {
        if (!res.headersSent) res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('sign-in could not continue; start again');
      }
    })();
  });

  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
