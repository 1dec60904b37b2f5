/**
 * CPU time of processes on this machine, read from /proc, so a benchmark can say where its cycles
 * went (broker, simulators, load generator, database) rather than only how fast it was.
 */
import { readdirSync, readFileSync } from 'node:fs';

// USER_HZ is 100 on every Linux build Node supports (sysconf(_SC_CLK_TCK)).
const TICK_MS = 10;

/** utime + stime of one process in ms, or 0 if it has gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** A process and its descendants (a broker's primary and its workers). */
export function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // gone
  }
  return [pid, ...children.flatMap(processTree)];
}

/** CPU ms of a process and its descendants. */
export const processTreeCpuMs = (pid: number): number => processTree(pid).reduce((sum, p) => sum + processCpuMs(p), 0);

/** Resident memory (MB) of a process and its descendants. */
export function processTreeRssMb(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

/** Summed CPU ms of every process whose command name is `name` (e.g. the PostgreSQL backends). */
export function namedProcessesCpuMs(name: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === name) total += processCpuMs(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

/** Own CPU (user + system) in ms. */
export const ownCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
