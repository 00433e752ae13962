/**
 * A relay host gets only what doctor's relay list names (npm run install:relay): two relays run here with a PATH
 * that holds those binaries and nothing else (no Chromium, nginx, tcpdump, ip, curl…): the demo stream publishes,
 * the other relay pulls it (Janus, WebRTC both ways) and serves it as HLS (ffmpeg). The systemd unit the install
 * writes passes `systemd-analyze verify`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { RELAY_REQUIREMENTS } from '../../relay/requirements.ts';

/** A PATH of symlinks to the relay's required binaries only. */
function relayOnlyPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'siphon-relay-path-'));
  const names = new Set(RELAY_REQUIREMENTS.flatMap((r) => (r.kind === 'binary' ? [r.name] : [])));
  for (const name of names) {
    symlinkSync(execFileSync('sh', ['-c', `command -v ${name}`]).toString().trim(), join(dir, name));
  }
  return dir;
}

describe('a relay host with only the relay\'s requirements', () => {
  let ns: NetNamespace;
  let path: string;
  let relays: RelayProcess[] = [];

  beforeAll(async () => {
    ns = NetNamespace.create();
    path = relayOnlyPath();
    relays = await Promise.all([
      RelayProcess.start(ns, { PATH: path, SIPHON_DEMO_STREAM: 'demo', SIPHON_DEMO_KBPS: '500', SIPHON_DEMO_SIZE: '320x180' }),
      RelayProcess.start(ns, { PATH: path, ...RelayProcess.slot(1) }),
    ]);
  });

  afterAll(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    ns?.destroySync();
    if (path) rmSync(path, { recursive: true, force: true });
  });

  it('publishes, pulls over WebRTC and serves HLS with nothing else on its PATH', async () => {
    const [origin, edge] = relays as [RelayProcess, RelayProcess];
    expect(execFileSync('/bin/sh', ['-c', 'command -v chromium nginx tcpdump curl ip || true'], { env: { PATH: path } }).toString()).toBe('');
    const res = await fetch(`${edge.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: origin.innerWsUrl, remoteStreamName: 'demo', localStreamName: 'cam' }) });
    expect(res.status).toBe(200);
    await expect.poll(async () => ((await (await fetch(`${edge.url}/rest-api/pull/find_all`, { method: 'POST' })).json()) as { status: string }[])[0]?.status,
      { timeout: 20_000 }).toBe('PLAYING');
    await expect.poll(async () => (await fetch(`${edge.hlsUrl}/cam/cam.m3u8`)).text(), { timeout: 30_000 }).toMatch(/#EXTINF/);
    for (const r of relays) expect(r.lines.filter((l) => l.level === 'error').map((l) => l.event)).toEqual([]);
  });

  it('the systemd unit install:relay writes passes systemd-analyze verify', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siphon-unit-'));
    try {
      const unit = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/relay-host.ts', '--print-unit']).toString();
      expect(unit).toMatch(/^ExecStart=\S+\/node_modules\/\.bin\/node --max-semi-space-size=8 .* relay\/main\.ts$/m);
      expect(unit).toMatch(/^Restart=on-failure$/m);
      writeFileSync(join(dir, 'siphon-relay.service'), unit);
      expect(execFileSync('systemd-analyze', ['verify', join(dir, 'siphon-relay.service')], { stdio: ['ignore', 'pipe', 'pipe'] }).toString()).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
