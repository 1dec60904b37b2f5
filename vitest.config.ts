import { defineConfig } from 'vitest/config';

// Two cores: two forks. Each database-touching test file gets its own database
// (a fresh PGlite instance, or a fresh database on TEST_DATABASE_URL's server),
// so files run in parallel without seeing each other's rows.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'adapters/**/*.test.ts', 'domain/**/*.test.ts', 'db/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
