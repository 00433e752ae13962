/** Siphon runs on the Node 24 LTS that setup installs from the npm registry, not on the machine's Node. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('Node version', () => {
  it('npm test runs on Node 24', () => {
    expect(process.version).toMatch(/^v24\./);
  });

  it('npm run relay starts the relay on Node 24 (here with a bad setting, so it exits at once)', () => {
    const run = spawnSync('npm', ['run', '-s', 'relay'], { cwd: root, encoding: 'utf8', env: { ...process.env, SIPHON_WS_PORT: 'not-a-port' }, timeout: 30_000 });
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; node?: string; err?: string });
    expect(lines[0]).toMatchObject({ event: 'relay.process', node: expect.stringMatching(/^v24\./) });
    expect(lines[1]).toMatchObject({ event: 'relay.config_error', err: expect.stringContaining('SIPHON_WS_PORT') });
    expect(run.status).toBe(2);
  }, 30_000); // npm, then Node loading the relay's TypeScript: ~2 s on a quiet machine, several on a busy one
});
