/**
 * Export progress for people on stderr (the export itself may go to stdout): a bar on a terminal,
 * a line every few seconds otherwise, each naming the cursor to resume from if the export stops.
 */
import cliProgress from 'cli-progress';

export function exportProgressReporter(stream: NodeJS.WriteStream = process.stderr): { start(total: number): void; increment(seq: string): void; stop(): void } {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream, format: 'audit export [{bar}] {percentage}% | {value}/{total} records | cursor {cursor}', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    return {
      start: (total) => bar.start(total, 0, { cursor: '-' }),
      increment: (seq) => bar.increment(1, { cursor: seq }),
      stop: () => bar.stop(),
    };
  }
  let total = 0;
  let done = 0;
  let lastLine = 0;
  return {
    start(n) {
      total = n;
      stream.write(`audit export: ${n} records\n`);
    },
    increment(seq) {
      done += 1;
      const now = Date.now();
      if (now - lastLine < 5000) return;
      lastLine = now;
      stream.write(`audit export: ${done}/${total} records, cursor ${seq}\n`);
    },
    stop: () => undefined,
  };
}
