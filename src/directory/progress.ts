/**
 * Import progress for people: a progress bar on a terminal, plain lines in logs and CI.
 */
import cliProgress from 'cli-progress';
import type { SorImportProgress } from './sor-import.js';

export function importProgressReporter(stream: NodeJS.WriteStream = process.stderr): { update(p: SorImportProgress): void; stop(): void } {
  const mb = (n: number) => (n / 1_048_576).toFixed(1);
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream, format: 'SOR import [{bar}] {percentage}% | {mbRead}/{mbTotal} MB | {entities} entities | {phase}', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        const total = p.totalBytes ?? Math.max(p.bytes, 1);
        const payload = { mbRead: mb(p.bytes), mbTotal: p.totalBytes ? mb(p.totalBytes) : '?', entities: p.entities, phase: p.phase };
        if (!started) {
          bar.start(total, p.bytes, payload);
          started = true;
        } else bar.update(p.phase === 'reading' ? p.bytes : total, payload);
      },
      stop: () => bar.stop(),
    };
  }
  let lastLine = 0;
  return {
    update(p) {
      const now = Date.now();
      if (p.phase === 'reading' && now - lastLine < 2000) return;
      lastLine = now;
      const pct = p.totalBytes ? ` (${Math.round((100 * p.bytes) / p.totalBytes)}%)` : '';
      stream.write(`sor import: ${p.phase}, ${mb(p.bytes)} MB read${pct}, ${p.entities} entities\n`);
    },
    stop: () => undefined,
  };
}
