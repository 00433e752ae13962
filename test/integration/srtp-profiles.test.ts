/**
 * The relay's Janus (built by setup) does SRTP with libsrtp on OpenSSL, not Debian's NSS build, and its legs work on
 * the profiles browsers get: AES-GCM (what Janus picks, and Chromium with our Janus) and AES_CM_128_HMAC_SHA1_80
 * (what Chromium gets with Chromium; a viewer relay whose Janus offers only it stands in). On each, a handful of real
 * viewers of the mountpoint (receivers in another relay's Janus: ICE, DTLS, SRTP decryption) get every packet, in order,
 * through the patched send path (send-path-wakeups-and-allocations.patch: one event-loop wakeup per fan-out, each
 * packet allocated with its data).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { CM_HMAC_SHA1_80, srtpProfilesEnv } from '../harness/srtp-profile-shim.ts';
import { spawnViewerFarm } from '../harness/viewer-farm.ts';
import { BUILT_JANUS_BINARY } from '../../relay/janus/build/janus-build.ts';

const ADMIN_SECRET = 'srtp-profiles-admin-secret';
const VIEWERS = 4;
const root = new URL('../..', import.meta.url).pathname;
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
      const f = spawnViewerFarm(ns, 1, slot, 'cam', sinkPort);
      try {
        await f.add(VIEWERS);
        // Audio and video of each viewer flowing: one SSRC each.
        await expect.poll(async () => (await f.stats()).legs, { timeout: 20_000 }).toBe(2 * VIEWERS);
        const before = await f.stats();
        await delay(5000);
        const after = await f.stats();
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
