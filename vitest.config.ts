import { defineConfig } from 'vitest/config';
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { fakeRelays } from './test/worker/fake-relays.ts';

// Node projects and the worker's workerd project keep separate include globs (the pool must not pick up Node tests).
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' }, miniflare: { outboundService: fakeRelays } })],
        test: { name: 'worker', include: ['test/worker/**/*.test.ts'] },
      },
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' } },
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
      {
        // Slow fault injection and fuzzing: `npm run test:faults` (CI runs it after `npm test`).
        test: {
          name: 'faults', include: ['test/faults/**/*.test.ts'], environment: 'node',
          testTimeout: 300_000, hookTimeout: 90_000, fileParallelism: false,
        },
      },
    ],
  },
});
