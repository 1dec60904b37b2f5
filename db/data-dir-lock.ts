/**
 * An exclusive lock on the embedded database's data directory that dies with its holder. Two
 * processes writing one PGlite data directory corrupt it, and PGlite does not guard against that
 * itself; a broker that was killed, on the other hand, must be restartable at once by its supervisor.
 *
 * The lock is a numbered owner file beside the data directory (`pg.lock.000000000007`) naming the
 * holder's process (pid, the kernel's start time of that pid, and the boot and pid namespace it
 * lives in). The highest number is the lock. A newcomer takes it by creating the next number with
 * link(2), which fails if the file exists, so of several newcomers exactly one wins; the previous
 * number stays until then, so nothing is ever deleted that another process may still judge.
 *
 * Whether the holder is gone: on the same machine and pid namespace the pid is asked (alive, and
 * still the process that started at the recorded time, not a reused pid), which answers at once
 * after a kill -9. A holder elsewhere (another container sharing the volume) cannot be asked, so
 * it refreshes its file's mtime every few seconds and counts as gone once that stops for `staleMs`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { link, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

/**
 * The embedded database's data directory is in use by another process (a running broker, an
 * import). PGlite does not guard against this itself, and two processes writing one data directory
 * corrupt it.
 */
export class DatabaseInUseError extends Error {
  constructor(readonly dataDir: string) {
    super(
      `the embedded database in ${dataDir} is in use by another broker process; stop it first, or use a PostgreSQL server (DATABASE_URL). ` +
        '(A process that ended, even by a crash, no longer holds it.)',
    );
    this.name = 'DatabaseInUseError';
  }
}

interface Owner {
  readonly pid: number;
  /** The kernel's start time of `pid` (Linux), so that a reused pid is not taken for the holder. */
  readonly start: string | null;
  /** Where `pid` means this process: boot and pid namespace (Linux), else the host name. */
  readonly scope: string;
  readonly released?: true;
}

export interface DataDirLock {
  release(): Promise<void>;
}

export interface LockOptions {
  /** A holder the pid cannot be asked about counts as gone when its file was not refreshed for this long. */
  readonly staleMs?: number;
  readonly heartbeatMs?: number;
  /** Called when the lock was taken over by someone else while held (default: throw, ending the process). */
  readonly onCompromised?: (error: Error) => void;
}

const readText = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
};

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot; the command name may hold spaces and parentheses. */
function startOf(pid: number): string | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}

function ownScope(): { scope: string; start: string | null } {
  const boot = readText('/proc/sys/kernel/random/boot_id');
  let pidNamespace: string | null = null;
  try {
    pidNamespace = readlinkSync('/proc/self/ns/pid');
  } catch {
    pidNamespace = null;
  }
  const start = startOf(process.pid);
  if (boot && pidNamespace && start) return { scope: `linux:${boot}:${pidNamespace}`, start };
  return { scope: `host:${hostname()}`, start: null };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const errno = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

export async function lockDataDir(dataDir: string, options: LockOptions = {}): Promise<DataDirLock> {
  const staleMs = options.staleMs ?? 15_000;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const dir = path.dirname(path.resolve(dataDir));
  const prefix = `${path.basename(dataDir)}.lock.`;
  const fileOf = (generation: number) => path.join(dir, `${prefix}${String(generation).padStart(12, '0')}`);
  const me = ownScope();
  const owner: Owner = { pid: process.pid, start: me.start, scope: me.scope };

  async function generations(): Promise<number[]> {
    const names = await readdir(dir);
    return names
      .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
      .map((n) => Number(n.slice(prefix.length)))
      .sort((a, b) => b - a);
  }

  /** Whether the holder of `generation` is still there; null: the file is gone (retry). */
  async function held(generation: number): Promise<boolean | null> {
    let text: string;
    let mtimeMs: number;
    try {
      [text, { mtimeMs }] = await Promise.all([readFile(fileOf(generation), 'utf8'), stat(fileOf(generation))]);
    } catch (error) {
      if (errno(error) === 'ENOENT') return null;
      throw error;
    }
    let holder: Owner | null = null;
    try {
      holder = JSON.parse(text) as Owner;
    } catch {
      holder = null;
    }
    if (holder?.released) return false;
    if (holder && holder.scope === me.scope) {
      return pidAlive(holder.pid) && (holder.start === null || startOf(holder.pid) === holder.start);
    }
    // A holder we cannot ask (or an unreadable file): alive while it keeps its file fresh.
    return Date.now() - mtimeMs < staleMs;
  }

  const temp = path.join(dir, `.${prefix}${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(temp, JSON.stringify(owner));
  let mine = 0;
  try {
    for (let attempt = 0; mine === 0; attempt++) {
      if (attempt > 20) throw new DatabaseInUseError(dataDir);
      const top = (await generations())[0] ?? 0;
      if (top > 0) {
        const alive = await held(top);
        if (alive === null) continue;
        if (alive) throw new DatabaseInUseError(dataDir);
      }
      try {
        // Atomic: fails if another newcomer created this generation first.
        await link(temp, fileOf(top + 1));
        mine = top + 1;
      } catch (error) {
        if (errno(error) !== 'EEXIST') throw error;
      }
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  for (const older of (await generations()).filter((g) => g < mine)) await unlink(fileOf(older)).catch(() => undefined);

  const onCompromised =
    options.onCompromised ??
    ((error: Error) => {
      throw error;
    });
  let released = false;
  const heartbeat = setInterval(() => {
    void (async () => {
      const now = new Date();
      await utimes(fileOf(mine), now, now);
      const top = (await generations())[0] ?? 0;
      if (top !== mine) throw new Error(`the lock on ${dataDir} was taken over by another process`);
    })().catch((error: unknown) => {
      if (released) return;
      onCompromised(error instanceof Error ? error : new Error(String(error)));
    });
  }, heartbeatMs);
  heartbeat.unref();

  return {
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      // Marked released rather than deleted: the numbers only grow, so a newcomer never judges a stale number.
      const marker = `${temp}.released`;
      await writeFile(marker, JSON.stringify({ ...owner, released: true }));
      await rename(marker, fileOf(mine)).catch(async () => unlink(marker).catch(() => undefined));
    },
  };
}
