/**
 * Child process for bench/lookup.ts: the person register and four sources on loopback, each
 * answering after a fixed latency; optionally one of them hangs. Prints its URLs as one JSON line.
 *   node bin/run-ts.mjs bench/lookup-simulators.ts --latency 50 [--hang psychiatry]
 */
import { startSimulators } from '../adapters/simulators/index.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const latencyMs = Number(arg('latency') ?? 50);
const hang = arg('hang');
const sims = await startSimulators({
  all: { latencyMs },
  ...(hang === 'psychiatry' ? { psychiatry: { failure: 'hang' } } : {}),
});
process.stdout.write(`${JSON.stringify({ personRegisterUrl: sims.personRegisterUrl, gpUrl: sims.gpUrl, psychiatryUrl: sims.psychiatryUrl, caseIndexUrl: sims.caseIndexUrl })}\n`);
const stop = () => void sims.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
