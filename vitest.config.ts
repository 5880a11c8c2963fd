import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const packages = readdirSync(new URL('./packages', import.meta.url));

// Tests run against the TypeScript sources, so `pnpm test` needs no build for the unit suites.
// Exact matches (a regex each), so a subpath export such as `@tiercache/l2-redis/connection`
// maps to its own source file instead of to a path under `src/index.ts`.
const alias = [
  { find: /^@tiercache\/l2-redis\/connection$/, replacement: `${root}packages/l2-redis/src/connection.ts` },
  { find: /^@tiercache\/core\/adapter$/, replacement: `${root}packages/core/src/adapter.ts` },
  ...packages.map((dir) => ({
    find: new RegExp(`^@tiercache/${dir}$`),
    replacement: `${root}packages/${dir}/src/index.ts`,
  })),
  { find: /^@tiercache\/test-kit$/, replacement: `${root}internal/test-kit/src/index.ts` },
];

export default defineConfig({
  resolve: { alias },
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      ...packages.map((dir) => ({
        extends: true as const,
        test: { name: dir, root: `${root}packages/${dir}`, include: ['test/**/*.test.ts'] },
      })),
      {
        extends: true as const,
        test: { name: 'test-kit', root: `${root}internal/test-kit`, include: ['test/**/*.test.ts'] },
      },
      {
        extends: true as const,
        test: { name: 'integration', root: `${root}tests/integration`, include: ['**/*.test.ts'] },
      },
      {
        extends: true as const,
        test: { name: 'consistency', root: `${root}tests/consistency`, include: ['**/*.test.ts'] },
      },
      {
        extends: true as const,
        test: { name: 'security', root: `${root}tests/security`, include: ['**/*.test.ts'] },
      },
      {
        extends: true as const,
        test: {
          name: 'faults',
          root: `${root}tests/faults`,
          globalSetup: ['./figures-global-setup.ts'],
          include: ['**/*.test.ts'],
          fileParallelism: false,
        },
      },
      {
        extends: true as const,
        test: { name: 'examples', root: `${root}examples`, include: ['*/test/**/*.test.ts'] },
      },
      {
        // `pnpm test:scale`: the Redis suites again on the kit's Redis Cluster (the same files,
        // TIERCACHE_REDIS_TARGET picks the target), and the failover tests on the clusters.
        extends: true as const,
        test: {
          name: 'scale',
          root,
          include: [
            'tests/scale/**/*.test.ts',
            'packages/l2-redis/test/conformance.test.ts',
            'packages/stream-redis/test/conformance.test.ts',
            'tests/integration/redis-multi-instance.test.ts',
          ],
          env: { TIERCACHE_REDIS_TARGET: 'cluster' },
          fileParallelism: false,
        },
      },
    ],
  },
});
