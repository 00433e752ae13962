/**
 * The relay's Janus (built by setup) does SRTP with libsrtp on OpenSSL, not Debian's NSS build, and its legs work on
 * the profiles browsers get: AES-GCM (what Janus picks, and Chromium with our Janus) and AES_CM_128_HMAC_SHA1_80
 * (what Chromium gets with Chromium; a viewer relay whose Janus offers only it stands in). On each, a handful of real
 * viewers of the mountpoint (receivers in another relay's Janus: ICE, DTLS, SRTP decryption) get every packet, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { CM_HMAC_SHA1_80, srtpProfilesEnv } from '../harness/srtp-profile-shim.ts';
import { BUILT_JANUS_BINARY } from '../../relay/janus/build/janus-build.ts';

const ADMIN_SECRET = 'srtp-profiles-admin-secret';
const VIEWERS = 4;
const root = new URL('../..', import.meta.url).pathname;
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface FarmStats { received: number; lost: number; late: number; legs: number }

/** test/harness/mountpoint-viewer-farm.ts inside the namespace, asked one line at a time. */
function farm(ns: NetNamespace, viewerSlot: number, sinkPort: number) {
  const api = (slot: number) => `ws://127.0.0.1:${RelayProcess.slot(slot).SIPHON_JANUS_API_PORT}`;
  const child: ChildProcess = ns.spawn(process.execPath, ['--import', 'tsx', 'test/harness/mountpoint-viewer-farm.ts', api(1), api(viewerSlot), 'cam', String(sinkPort)],
    { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const answers = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const ask = async <T>(command: string): Promise<T> => {
    child.stdin!.write(`${command}\n`);
    const next = await answers.next();
    if (next.done) throw new Error('the viewer farm ended');
    return JSON.parse(next.value) as T;
  };
  return { ask, stop: () => child.kill() };
}

/** The SRTP profile of every leg the source relay's Janus holds (its admin API, inside the namespace). */
function profiles(ns: NetNamespace): string[] {
  return JSON.parse(execFileSync('ip', ['netns', 'exec', ns.name, process.execPath, '--import', 'tsx', 'test/harness/janus-srtp-profiles.ts',
    `ws://127.0.0.1:${RelayProcess.slot(1).SIPHON_JANUS_ADMIN_PORT}`, ADMIN_SECRET, '100'], { cwd: root, encoding: 'utf8' })) as string[];
}

describe('SRTP on the built Janus', () => {
  let ns: NetNamespace;
  let source: RelayProcess;
  const viewerRelays: RelayProcess[] = [];

  beforeAll(async () => {
    ns = NetNamespace.create();
    source = await RelayProcess.start(ns, { ...RelayProcess.slot(1), SIPHON_DEMO_STREAM: 'cam', SIPHON_DEMO_KBPS: '500', SIPHON_DEMO_SIZE: '320x180',
      SIPHON_JANUS_ADMIN_SECRET: ADMIN_SECRET });
    await source.waitFor((l) => l.event === 'test_source.started', 30_000);
  });

  afterAll(async () => {
    await Promise.all([source, ...viewerRelays].map((r) => r?.stop()));
    ns?.destroySync();
  });

  it("links libsrtp built on OpenSSL, not the machine's NSS-based libsrtp2", () => {
    const linked = execFileSync('ldd', [BUILT_JANUS_BINARY], { encoding: 'utf8' });
    expect(linked).not.toMatch(/libsrtp2\.so|libnss3\.so/);
    expect(linked).toMatch(/libcrypto\.so/);
  });

  for (const [name, env, profile, sinkPort] of [
    ['AES-GCM (what Janus picks)', {}, 'SRTP_AEAD_AES_256_GCM', 39100],
    ['AES_CM_128_HMAC_SHA1_80 (what Chromium gets with Chromium)', srtpProfilesEnv(CM_HMAC_SHA1_80), 'SRTP_AES128_CM_SHA1_80', 39110],
  ] as const) {
    it(`${name}: ${VIEWERS} mountpoint viewers negotiate it and get every packet, in order`, async () => {
      const slot = viewerRelays.length + 2;
      viewerRelays.push(await RelayProcess.start(ns, { ...RelayProcess.slot(slot), ...env }));
      const f = farm(ns, slot, sinkPort);
      try {
        await f.ask(`add ${VIEWERS}`);
        // Audio and video of each viewer flowing: one SSRC each.
        await expect.poll(async () => (await f.ask<FarmStats>('stats')).legs, { timeout: 20_000 }).toBe(2 * VIEWERS);
        const before = await f.ask<FarmStats>('stats');
        await delay(5000);
        const after = await f.ask<FarmStats>('stats');
        const [received, lost, late] = [after.received - before.received, after.lost - before.lost, after.late - before.late];
        console.log(`${name}: ${received} packets to ${VIEWERS} viewers in 5 s, ${lost} lost, ${late} out of order`);
        expect(received).toBeGreaterThan(VIEWERS * 5 * 50); // 5 s of audio alone is 250 packets a viewer
        expect(lost).toBe(0);
        expect(late).toBe(0);
        expect(profiles(ns)).toContain(profile);
      } finally {
        f.stop();
      }
    });
  }
});
