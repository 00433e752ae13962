import { defineConfig } from 'vitest/config';
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { fakeRelays } from './test/worker/fake-relays.ts';

// Node projects and the worker's workerd project keep separate include globs (the pool must not pick up Node tests).
// groupOrder: the light projects first, together; then the integration files, then the end-to-end ones, never at the
// same time as each other (a relay with Janus beside three relays, the edge and Chromium on 2 cores made the access
// e2e miss its timings in CI).
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' }, miniflare: { outboundService: fakeRelays } })],
        test: { name: 'worker', include: ['test/worker/**/*.test.ts'], sequence: { groupOrder: 0 } },
      },
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', sequence: { groupOrder: 0 } } },
      {
        test: {
          name: 'integration', include: ['test/integration/**/*.test.ts'], environment: 'node',
          testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: false, sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'e2e', include: ['test/e2e/**/*.test.ts'], environment: 'node',
          testTimeout: 120_000, hookTimeout: 90_000, fileParallelism: false, sequence: { groupOrder: 2 },
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
