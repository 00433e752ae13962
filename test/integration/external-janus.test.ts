/**
 * SIPHON_JANUS_URL points the relay at a Janus it did not start: it connects, serves, reports Janus
 * trouble in /health, reconnects and restores mountpoints when that Janus is back, and never kills it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { writeJanusConfig } from '../../relay/janus/config.ts';
import { BUILT_JANUS_BINARY } from '../../relay/janus/build/janus-build.ts';

const ADMIN_SECRET = 'ext-admin';
const STREAMING_KEY = 'ext-streaming-key';

describe('relay on an external Janus', () => {
  let ns: NetNamespace;
  let relay: RelayProcess;
  let janus: ChildProcess | undefined;
  let dir: string;

  async function startJanus(): Promise<void> {
    const { configFile, logFile } = writeJanusConfig({
      dir: join(dir, 'janus'), apiPort: 18188, adminPort: 17188, adminSecret: ADMIN_SECRET, streamingAdminKey: STREAMING_KEY,
      icePorts: { from: 40000, to: 40099 }, nosipPorts: { from: 40100, to: 40199 }, mountpointPorts: { from: 40200, to: 40299 },
      publicIp: '', iceInterfaces: [], eventLoops: 1,
    });
    janus = ns.spawn(BUILT_JANUS_BINARY, ['-C', configFile, '-F', join(dir, 'janus'), '-L', logFile, '-N', '-o'], { stdio: 'ignore' });
  }

  async function stopJanus(signal: NodeJS.Signals): Promise<void> {
    if (!janus || janus.exitCode !== null) return;
    const exited = once(janus, 'exit');
    janus.kill(signal);
    await exited;
  }

  beforeAll(async () => {
    ns = NetNamespace.create();
    dir = mkdtempSync(join(tmpdir(), 'siphon-extjanus-'));
    await startJanus();
    relay = await RelayProcess.start(ns, {
      SIPHON_JANUS_URL: 'ws://127.0.0.1:18188', SIPHON_JANUS_ADMIN_URL: 'ws://127.0.0.1:17188',
      SIPHON_JANUS_ADMIN_SECRET: ADMIN_SECRET, SIPHON_JANUS_STREAMING_ADMIN_KEY: STREAMING_KEY,
      SIPHON_DEMO_STREAM: 'demo', SIPHON_JANUS_HEALTH_INTERVAL_MS: '300',
    });
  });

  afterAll(async () => {
    await relay?.stop();
    await stopJanus('SIGKILL');
    ns?.destroySync();
    rmSync(dir, { recursive: true, force: true });
  });

  const health = async () => {
    const res = await fetch(`${relay.url}/health`);
    return { code: res.status, body: await res.json() as { janus: { state: string; pid: number | null } } };
  };

  it('uses the given Janus (no process of its own) and creates the demo mountpoint on it', async () => {
    expect(await health()).toMatchObject({ code: 200, body: { janus: { state: 'up', pid: null } } });
    await relay.waitFor((l) => l.event === 'mountpoint.created' && l.stream === 'demo');
    expect(relay.lines.some((l) => l.event === 'janus.spawned')).toBe(false);
  });

  it('reports the outage in /health (503) and recovers, mountpoint included, when that Janus returns', async () => {
    await stopJanus('SIGKILL');
    await expect.poll(async () => (await health()).code, { timeout: 10_000 }).toBe(503);
    await startJanus();
    await expect.poll(async () => (await health()).code, { timeout: 20_000 }).toBe(200);
    await expect.poll(() => relay.lines.filter((l) => l.event === 'mountpoint.created' && l.stream === 'demo').length, { timeout: 10_000 }).toBe(2);
  });

  it('SIGTERM stops the relay but leaves the external Janus running', async () => {
    expect(await relay.stop()).toBe(0);
    expect(janus!.exitCode).toBeNull();
    expect(() => process.kill(janus!.pid!, 0)).not.toThrow();
  });
});
