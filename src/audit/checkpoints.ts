/**
 * Signed checkpoints of the audit chain. The hash chain shows an edited or removed record, but an
 * insider who rewrites the chain from some record onwards, or deletes the newest records and
 * moves the head back, leaves a chain that still verifies. A checkpoint is the chain head (seq and
 * hash) signed with the broker's audit key (JWS, ES256) and copied to a place outside the database
 * (an append-only file): a verifier that holds the checkpoints sees a rewrite as a hash that no
 * longer matches, and a truncation as a checkpoint beyond the end of the chain.
 */
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CompactSign, type CryptoKey, type JWK, calculateJwkThumbprint, compactVerify, exportJWK, generateKeyPair, importJWK } from 'jose';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema/index.js';

const ALG = 'ES256';

const bySeq = (a: string, b: string): number => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);

export interface Checkpoint {
  readonly seq: string;
  readonly hash: string;
  readonly signedAt: string;
  readonly keyId: string;
  /** Compact JWS whose payload is { seq, hash, signedAt }. */
  readonly jws: string;
}

export interface CheckpointSigner {
  readonly keyId: string;
  sign(payload: Uint8Array): Promise<string>;
}

/** Public keys by key id: the current key and every retired one whose checkpoints must still verify. */
export type CheckpointKeys = ReadonlyMap<string, CryptoKey | Uint8Array>;

export interface CheckpointKeyMaterial {
  readonly signer: CheckpointSigner;
  readonly keys: CheckpointKeys;
}

/** The signer and the verification keys from a private JWK (P-256) and retired public JWKs. */
export async function checkpointKeysFromJwk(privateJwk: JWK, retired: readonly JWK[] = []): Promise<CheckpointKeyMaterial> {
  const { d: _private, ...publicJwk } = privateJwk;
  const keyId = privateJwk.kid ?? (await calculateJwkThumbprint(publicJwk));
  const privateKey = await importJWK(privateJwk, ALG);
  const keys = new Map<string, CryptoKey | Uint8Array>();
  for (const jwk of retired) keys.set(jwk.kid ?? (await calculateJwkThumbprint(jwk)), await importJWK(jwk, ALG));
  keys.set(keyId, await importJWK(publicJwk, ALG));
  return {
    keys,
    signer: { keyId, sign: (payload) => new CompactSign(payload).setProtectedHeader({ alg: ALG, kid: keyId, typ: 'audit-checkpoint+jws' }).sign(privateKey) },
  };
}

const demoKeyFile = (dataDir: string): string => path.join(dataDir, 'audit', 'checkpoint-key.jwk.json');

/** The demo's audit key, created in the data directory on first use (never in production). */
export async function ensureDemoCheckpointKey(dataDir: string): Promise<JWK> {
  const file = demoKeyFile(dataDir);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as JWK;
  } catch {
    const { privateKey } = await generateKeyPair(ALG, { extractable: true });
    const jwk = await exportJWK(privateKey);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    // 'wx': a second process starting at the same moment keeps the first one's key.
    await writeFile(file, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' }).catch(() => undefined);
    return JSON.parse(await readFile(file, 'utf8')) as JWK;
  }
}

/**
 * Signs the current chain head, stores the checkpoint and appends it to the export file (fsync'd
 * before this resolves). Returns null when nothing was written since the last checkpoint.
 */
export async function writeCheckpoint(
  db: Kysely<Database>,
  signer: CheckpointSigner,
  options: { exportFile?: string | null; at?: Date } = {},
): Promise<Checkpoint | null> {
  const head = await db.selectFrom('audit_chain_head').select([sql<string>`seq::text`.as('seq'), 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
  if (head.seq === '0') return null;
  const last = await db.selectFrom('audit_checkpoint').select(sql<string>`max(seq)::text`.as('seq')).executeTakeFirst();
  if (last?.seq === head.seq) return null;
  const signedAt = (options.at ?? new Date()).toISOString();
  const jws = await signer.sign(new TextEncoder().encode(JSON.stringify({ seq: head.seq, hash: head.hash, signedAt })));
  const checkpoint: Checkpoint = { seq: head.seq, hash: head.hash, signedAt, keyId: signer.keyId, jws };
  await db
    .insertInto('audit_checkpoint')
    .values({ seq: checkpoint.seq, hash: checkpoint.hash, signed_at: new Date(signedAt), key_id: checkpoint.keyId, jws })
    .onConflict((oc) => oc.column('seq').doNothing())
    .execute();
  if (options.exportFile) await exportCheckpoint(options.exportFile, checkpoint);
  return checkpoint;
}

async function exportCheckpoint(file: string, checkpoint: Checkpoint): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await open(file, 'a', 0o640);
  try {
    await handle.appendFile(`${JSON.stringify(checkpoint)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads an export file (one checkpoint per line); a line that is not a checkpoint is reported, not skipped. */
export async function readExportedCheckpoints(file: string): Promise<{ checkpoints: Checkpoint[]; unreadableLines: number[] }> {
  const text = await readFile(file, 'utf8');
  const checkpoints: Checkpoint[] = [];
  const unreadableLines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const c = JSON.parse(line) as Partial<Checkpoint>;
      if (typeof c.seq !== 'string' || typeof c.hash !== 'string' || typeof c.jws !== 'string' || typeof c.keyId !== 'string' || typeof c.signedAt !== 'string') throw new Error();
      checkpoints.push(c as Checkpoint);
    } catch {
      unreadableLines.push(i + 1);
    }
  });
  return { checkpoints, unreadableLines };
}

export type CheckpointProblem =
  /** The signature does not verify, or its payload differs from the stored fields. */
  | 'bad-signature'
  /** Signed with a key the verifier does not hold. */
  | 'unknown-key'
  /** The record at the checkpoint's position has another hash: the chain was rewritten. */
  | 'hash-mismatch'
  /** The checkpoint lies beyond the end of the chain: records were removed from the end. */
  | 'records-missing'
  /** An exported checkpoint that the database no longer holds. */
  | 'not-in-database';

export interface CheckpointFinding {
  readonly seq: string;
  readonly source: 'database' | 'export';
  readonly problem: CheckpointProblem;
}

/** Checks one checkpoint's signature against the keys; true when it verifies and says what the fields say. */
export async function checkpointSignatureValid(
  checkpoint: Checkpoint,
  keys: CheckpointKeys,
  /** A retention start is signed with `retentionStart: true`, so a head checkpoint cannot pass for one, nor one for a head. */
  options: { readonly retentionStart?: boolean } = {},
): Promise<'ok' | 'bad-signature' | 'unknown-key'> {
  const key = keys.get(checkpoint.keyId);
  if (!key) return 'unknown-key';
  try {
    const { payload, protectedHeader } = await compactVerify(checkpoint.jws, key, { algorithms: [ALG] });
    const signed = JSON.parse(new TextDecoder().decode(payload)) as { seq?: unknown; hash?: unknown; signedAt?: unknown; retentionStart?: unknown };
    const same =
      signed.seq === checkpoint.seq && signed.hash === checkpoint.hash && signed.signedAt === checkpoint.signedAt && protectedHeader.kid === checkpoint.keyId &&
      (signed.retentionStart === true) === (options.retentionStart === true);
    return same ? 'ok' : 'bad-signature';
  } catch {
    return 'bad-signature';
  }
}

/**
 * Checks every checkpoint, those in the database and those exported, against the chain as it is:
 * a valid signature, and the record at its position carrying its hash.
 */
export async function verifyCheckpoints(
  db: Kysely<Database>,
  keys: CheckpointKeys,
  exported: readonly Checkpoint[] = [],
  /** Retained history starts after this position: checkpoints at or before it whose records expired are not findings. */
  retainedAfter = '0',
): Promise<{ checked: number; findings: CheckpointFinding[]; last: Checkpoint | null; /** Positions of the checkpoints that verified and match the chain, ascending. */ matching: string[] }> {
  const stored: Checkpoint[] = (
    await db.selectFrom('audit_checkpoint').select([sql<string>`seq::text`.as('seq'), 'hash', 'signed_at', 'key_id', 'jws']).orderBy('seq').execute()
  ).map((r) => ({ seq: r.seq, hash: r.hash, signedAt: r.signed_at.toISOString(), keyId: r.key_id, jws: r.jws }));
  const storedSeqs = new Set(stored.map((c) => c.seq));
  const findings: CheckpointFinding[] = [];
  const matching = new Set<string>();
  const all: Array<[Checkpoint, 'database' | 'export']> = [...stored.map((c) => [c, 'database'] as [Checkpoint, 'database']), ...exported.map((c) => [c, 'export'] as [Checkpoint, 'export'])];
  const seqs = [...new Set(all.map(([c]) => c.seq))];
  const hashes = new Map<string, string>();
  for (let i = 0; i < seqs.length; i += 1000) {
    const page = seqs.slice(i, i + 1000);
    const rows = await db.selectFrom('audit_event').select([sql<string>`seq::text`.as('seq'), 'hash']).where(sql<boolean>`seq = any(${page}::bigint[])`).execute();
    for (const r of rows) hashes.set(r.seq, r.hash);
    // An expired record's hash stays in its tombstone: a checkpoint over it is still checked.
    const stones = await sql<{ seq: string; hash: string }>`select seq::text, hash from audit_tombstone where seq = any(${page}::bigint[])`.execute(db);
    for (const r of stones.rows) if (!hashes.has(r.seq)) hashes.set(r.seq, r.hash);
  }
  for (const [checkpoint, source] of all) {
    const signature = await checkpointSignatureValid(checkpoint, keys);
    if (signature !== 'ok') {
      findings.push({ seq: checkpoint.seq, source, problem: signature });
      continue;
    }
    const hash = hashes.get(checkpoint.seq);
    if (hash === undefined && BigInt(checkpoint.seq) <= BigInt(retainedAfter)) {
      // Before retained history: its record expired, nothing left to compare with.
    } else if (hash === undefined) findings.push({ seq: checkpoint.seq, source, problem: 'records-missing' });
    else if (hash !== checkpoint.hash) findings.push({ seq: checkpoint.seq, source, problem: 'hash-mismatch' });
    else matching.add(checkpoint.seq);
    if (source === 'export' && !storedSeqs.has(checkpoint.seq)) findings.push({ seq: checkpoint.seq, source, problem: 'not-in-database' });
  }
  findings.sort((a, b) => bySeq(a.seq, b.seq));
  const last = stored.at(-1) ?? null;
  return { checked: all.length, findings, last, matching: [...matching].sort(bySeq) };
}

/**
 * The checkpoint keys the configuration gives; in demo mode a key made in the data directory, which
 * outside production the commands (`broker audit verify`) use too when it is there. Null without one.
 */
export async function checkpointKeysFromConfig(config: {
  readonly demo: boolean;
  readonly nodeEnv: string;
  readonly dataDir: string;
  readonly auditCheckpoints: { readonly signingKey: JWK | null; readonly retiredKeys: readonly JWK[] };
}): Promise<CheckpointKeyMaterial | null> {
  const existingDemoKey = async (): Promise<JWK | null> =>
    config.nodeEnv === 'production' ? null : readFile(demoKeyFile(config.dataDir), 'utf8').then((t) => JSON.parse(t) as JWK, () => null);
  const signingKey = config.auditCheckpoints.signingKey ?? (config.demo ? await ensureDemoCheckpointKey(config.dataDir) : await existingDemoKey());
  return signingKey ? checkpointKeysFromJwk(signingKey, config.auditCheckpoints.retiredKeys) : null;
}
