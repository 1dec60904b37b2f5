import { defineConfig } from 'vitest/config';

// The test files Stryker runs against each mutant (npm run mutation): the fast tests of the
// security-critical modules. Integration tests (test/), which start a database and a broker per
// file, are left out: rerun per mutant they would take hours. See docs/MUTATION.md.
export default defineConfig({
  test: {
    include: [
      'src/agreements/decision.test.ts',
      'src/agreements/decision-index.test.ts',
      'src/agreements/lifecycle.test.ts',
      'src/lookup/minimise.test.ts',
      'src/platform/*.test.ts',
      'src/identity/*.test.ts',
    ],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
