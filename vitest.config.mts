import { defineConfig } from 'vitest/config';

// Packages resolve to their TypeScript sources through the `source` export condition, so tests never
// need a build and a half-built sibling package cannot break them. Worker threads started by the
// tests get the same condition plus tsx (see packages/shard-worker/src/worker-script.ts).
const conditions = ['source'];

// Two projects: `unit` needs nothing but Node (and Go for the stub); `integration` talks to the real Cassandra
// that `npm test` starts (scripts/test.mjs) and fails when it is not there. Files needing more than the default
// single node skip unless told they have it: SHARDCQL_TEST_AUTH=1, SHARDCQL_TEST_TLS=1, SHARDCQL_TEST_NODES=3.
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'bench/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.integration.test.ts', '**/node_modules/**', '**/dist/**'],
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.integration.test.ts', 'bench/test/**/*.integration.test.ts', 'test/**/*.integration.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
