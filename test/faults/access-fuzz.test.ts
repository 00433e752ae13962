/**
 * R10: over a thousand hostile attempts at a relay guarded by signed tokens — no token, expired, wrong scope, forged
 * signature, revoked, garbage, a tampered or foreign HLS session path, another principal's WHEP session URL — on the WCS API,
 * WHIP, WHEP and HLS. None is admitted, and the relay stays healthy: a legitimate viewer plays throughout.
 */
import { recordFaultFigures } from '../harness/fault-figures.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { RawWcsClient } from '../harness/wcs-client.ts';

const SECRET = 'r10-token-secret-of-enough-length';
const OFFER = readFileSync(new URL('../fixtures/sdp/chromium-play-offer.sdp', import.meta.url), 'utf8');
const PUBLISH_OFFER = readFileSync(new URL('../fixtures/sdp/chromium-publish-offer.sdp', import.meta.url), 'utf8');
const sign = (claims: Record<string, unknown>, expires: number | string = '10m', secret = SECRET) => new SignJWT(claims)
  .setProtectedHeader({ alg: 'HS256' }).setSubject(String(claims.who ?? 'someone')).setExpirationTime(expires).sign(new TextEncoder().encode(secret));
const play = (stream: string) => ({ siphon_permissions: [{ action: 'play', stream }] });

describe('R10: hostile attempts at a guarded relay', () => {
  let ns: NetNamespace;
  let relay: RelayProcess;

  beforeAll(async () => {
    ns = NetNamespace.create();
    relay = await RelayProcess.start(ns, { SIPHON_TOKEN_SECRET: SECRET, SIPHON_DEMO_STREAM: 'cam', SIPHON_DEMO_CODEC: 'h264' });
  });

  afterAll(async () => {
    await relay?.stop();
    ns?.destroySync();
  });

  it('1000+ attempts: 0 admitted, the relay healthy and its legitimate viewer served throughout', async () => {
    const bad = [
      undefined, 'garbage', 'a.b.c',
      await sign(play('cam'), Math.floor(Date.now() / 1000) - 5), // expired
      await sign(play('other')), // wrong scope
      await sign({ siphon_permissions: [{ action: 'publish', stream: 'elsewhere' }] }), // another action, another stream
      await sign(play('*'), '10m', `${SECRET}-forged`), // forged signature
      `${(await sign(play('other'))).split('.').slice(0, 2).join('.')}.${(await sign(play('*'))).split('.')[2]}`, // spliced
      await sign({ who: 'eve', ...play('*') }), // revoked below
    ];
    const revoked = await fetch(`${relay.url}/rest-api/access/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub: 'eve' }) });
    expect(revoked.status).toBe(200);
    const good = await sign({ who: 'alice', ...play('cam') });
    const mallory = await sign({ who: 'mallory', ...play('cam') });
    const outcomes = { attempts: 0, admitted: 0 };
    const count = (admitted: boolean) => { outcomes.attempts += 1; if (admitted) outcomes.admitted += 1; };
    const auth = (t: string | undefined): Record<string, string> => (t ? { authorization: `Bearer ${t}` } : {});

    // A legitimate HLS viewer and a WHEP session of alice's, the targets of the session-path and session-URL attacks.
    const playlist = await fetch(`${relay.hlsUrl}/cam/cam.m3u8?token=${good}`);
    expect(playlist.status).toBe(200);
    const mediaPath = new URL(/URI="([^"]+)"/.exec(await playlist.text())![1]!, `${relay.hlsUrl}/cam/cam.m3u8`).pathname;
    const [, , session, , file] = mediaPath.split('/');
    const whep = await fetch(`${relay.url}/whep/cam`, { method: 'POST', headers: { 'content-type': 'application/sdp', ...auth(good) }, body: OFFER });
    expect(whep.status).toBe(201);
    const resource = whep.headers.get('location')!;

    for (let round = 0; round < 35; round++) {
      for (const t of bad) {
        const whepPost = await fetch(`${relay.url}/whep/cam`, { method: 'POST', headers: { 'content-type': 'application/sdp', ...auth(t) }, body: OFFER });
        count(whepPost.status < 400);
        const whipPost = await fetch(`${relay.url}/whip/cam-${round}`, { method: 'POST', headers: { 'content-type': 'application/sdp', ...auth(t) }, body: PUBLISH_OFFER });
        count(whipPost.status < 400);
        const hls = await fetch(`${relay.hlsUrl}/cam/cam.m3u8${t ? `?token=${t}` : ''}`);
        count(hls.status < 400);
        await Promise.all([whepPost.arrayBuffer(), whipPost.arrayBuffer(), hls.arrayBuffer()]);
      }
      const tampered = [`${session!.slice(0, -2)}xx`, session!.replace(/^[0-9a-z]+/, 'zzzzzzz'), 'x', `${session}`];
      for (const [i, s] of tampered.entries()) {
        const res = await fetch(`${relay.hlsUrl}/s/${s}/${i === 3 ? 'other' : 'cam'}/${file}`); // the last: alice's session, another stream
        count(res.status < 400);
        await res.arrayBuffer();
      }
      const foreign = await fetch(`${relay.url}${resource}`, { method: round % 2 ? 'DELETE' : 'PATCH', headers: { 'content-type': 'application/trickle-ice-sdpfrag', ...auth(round % 3 ? mallory : undefined) }, body: round % 2 ? undefined : 'a=end-of-candidates\r\n' });
      count(foreign.status < 400);
      await foreign.arrayBuffer();
    }
    // The WCS API: a session per bad credential, each publishing and playing with it.
    for (const t of bad) {
      const client = await RawWcsClient.open(`${relay.wsUrl}${t ? `?token=${encodeURIComponent(t)}` : ''}`, false);
      client.send('connection', { appKey: 'defaultApp', mediaProviders: ['WebRTC'] });
      const first = await client.waitFor((r) => r.message === 'getUserData' || r.message === 'fail');
      if (first.message === 'getUserData') {
        for (let i = 0; i < 10; i++) {
          client.send('playStream', { mediaSessionId: `p-${i}`, name: 'cam', sdp: OFFER, custom: {} });
          client.send('publishStream', { mediaSessionId: `q-${i}`, name: `cam-w-${i}`, sdp: PUBLISH_OFFER, custom: {} });
          for (const id of [`p-${i}`, `q-${i}`]) count((await client.statusFor(id)).data[0]!.status !== 'FAILED');
        }
      } else count(false);
      client.close();
    }

    expect(outcomes.attempts).toBeGreaterThanOrEqual(1000);
    expect(outcomes.admitted).toBe(0);
    expect((await fetch(`${relay.url}/health`)).status).toBe(200);
    expect(relay.child.exitCode).toBeNull();
    expect((await fetch(`${relay.url}${resource}`, { method: 'DELETE', headers: auth(good) })).status).toBe(200); // alice's session survived them all
    const again = await fetch(`${relay.hlsUrl}/cam/cam.m3u8?token=${good}`);
    expect(again.status).toBe(200);
    const text = JSON.stringify(relay.lines);
    for (const t of [good, mallory, ...bad.filter((b): b is string => !!b && b.length > 20)]) expect(text).not.toContain(t);
    recordFaultFigures('R10', 'hostile attempts at a relay guarded by signed tokens (revoked ones too): WCS API, WHIP, WHEP, HLS playlists and session paths, foreign WHEP session URLs',
      { attempts: outcomes.attempts, admitted: outcomes.admitted });
  }, 240_000);
});
