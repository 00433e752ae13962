import { defineConfig } from 'vitest/config';

// Node projects only here; the worker's workerd pool project joins when worker/ lands.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'relay/**/*.test.ts'], environment: 'node' } },
      {
        test: {
          name: 'integration', include: ['test/integration/**/*.test.ts'], environment: 'node',
          testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e', include: ['test/e2e/**/*.test.ts'], environment: 'node',
          testTimeout: 120_000, hookTimeout: 90_000, fileParallelism: false,
        },
      },
    ],
  },
});
