import { startSimulators, type FailureMode } from './index.js';

/**
 * Runs the source simulators on their own for a demo or a manual test:
 *   npx tsx adapters/simulators/main.ts [failure-mode-for-psychiatry]
 * and prints their URLs. Stops on SIGINT/SIGTERM.
 */
const MODES: readonly FailureMode[] = ['none', 'down', 'flaky', 'hang', 'html', 'malformed', 'wrong-child', 'huge'];
const failure = MODES.find((m) => m === process.argv[2]);
if (process.argv[2] && !failure) {
  process.stderr.write(`unknown failure mode; one of: ${MODES.join(', ')}\n`);
  process.exit(2);
}
const sims = await startSimulators({ psychiatry: failure ? { failure } : {} });
process.stdout.write(
  `${JSON.stringify(
    {
      personRegisterUrl: sims.personRegisterUrl,
      gpUrl: sims.gpUrl,
      psychiatryUrl: sims.psychiatryUrl,
      caseIndexUrl: sims.caseIndexUrl,
      children: sims.children.map((c) => c.alias),
    },
    null,
    2,
  )}\n`,
);
const stop = () => {
  void sims.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
