// Mutation testing of the security-critical modules (npm run mutation; not part of npm test).
// One process (--concurrency 1 in the script) on the 2-core machine; results in docs/MUTATION.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  checkers: [],
  coverageAnalysis: 'perTest',
  // Mutants in module-level code would rerun every test each; left out (reported as ignored).
  ignoreStatic: true,
  mutate: [
    'src/identity/**/*.ts',
    '!src/identity/**/*.test.ts',
    '!src/identity/demo-issuer.ts',
    'src/agreements/decision.ts',
    'src/agreements/lifecycle.ts',
    'src/lookup/minimise.ts',
    'src/correspondence/receive.ts',
    'src/audit/**/*.ts',
  ],
  reporters: ['clear-text', 'json', 'progress'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  timeoutMS: 10_000,
  thresholds: { high: 90, low: 70, break: null },
};
