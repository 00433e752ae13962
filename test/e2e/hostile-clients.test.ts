/**
 * Clients that send garbage get a failure for their own session or stream only: a browser publish and
 * play running beside them keeps decoding frames, and the relay stays healthy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { launchBrowser, sampleFrames } from '../harness/browser.ts';
import { openPlayer, openTwoWay, publishOn } from '../harness/sdk-pages.ts';
import { RawWcsClient } from '../harness/wcs-client.ts';

const VP9_ONLY_OFFER = [
  'v=0', 'o=- 1 1 IN IP4 0.0.0.0', 's=-', 't=0 0', 'a=group:BUNDLE 0',
  'm=video 9 UDP/TLS/RTP/SAVPF 98', 'c=IN IP4 0.0.0.0', 'a=mid:0', 'a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF',
  'a=setup:actpass', 'a=sendonly', 'a=rtcp-mux', 'a=rtpmap:98 VP9/90000', '',
].join('\r\n');

describe('hostile WCS clients beside a live publish/play', () => {
  let ns: NetNamespace;
  let relay: RelayProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let player: Page;

  beforeAll(async () => {
    ns = NetNamespace.create();
    // Short keep-alive so the silent client is dropped in seconds; 8 probes (4 s) so the SDK pages survive a busy moment on 2 shared cores.
    relay = await RelayProcess.start(ns, { SIPHON_KEEPALIVE_INTERVAL_MS: '500', SIPHON_KEEPALIVE_PROBES: '8' });
    ({ browser, close: closeBrowser } = await launchBrowser(ns));
    const pub = await openTwoWay(browser, relay.pageUrl);
    await publishOn(pub.page, 'steady');
    ({ page: player } = await openPlayer(browser, relay.pageUrl, 'steady'));
  });

  afterAll(async () => {
    await closeBrowser?.();
    await relay?.stop();
    ns?.destroySync();
  });

  it('non-JSON and data-less frames end only that session (fail, then close 1007)', async () => {
    for (const payload of ['this is not json', '{"message":"publishStream"}', '[1,2,3]', '{"data":[]}']) {
      const c = await RawWcsClient.open(relay.wsUrl);
      c.sendRaw(payload);
      const fail = await c.waitFor((r) => r.message === 'fail');
      expect(String(fail.data[0]!.info)).toMatch(/^Malformed frame/);
      expect((await c.closed).code).toBe(1007);
    }
  });

  it('a 1 MiB frame closes that session with 1009', async () => {
    const c = await RawWcsClient.open(relay.wsUrl);
    c.sendRaw(JSON.stringify({ message: 'publishStream', data: [{ sdp: 'x'.repeat(1024 * 1024) }] }));
    expect((await c.closed).code).toBe(1009);
  });

  it('unknown messages and requests before `connection` get a fail reply; the session stays usable', async () => {
    const early = await RawWcsClient.open(relay.wsUrl, false);
    early.send('playStream', { mediaSessionId: 'early-1', name: 'steady', sdp: 'v=0' });
    expect((await early.waitFor((r) => r.message === 'fail')).data[0]!.info).toBe('Session not ready');
    early.close();

    const c = await RawWcsClient.open(relay.wsUrl);
    c.send('bogusMessage', { x: 1 });
    const fail = await c.waitFor((r) => r.message === 'fail');
    expect(fail.data[0]).toMatchObject({ apiMethod: 'bogusMessage', info: 'Unknown message bogusMessage' });
    c.send('ping', null);
    await c.waitFor((r) => r.message === 'pong');
    c.close();
  });

  it('bad publish/play requests fail that stream with a clear info', async () => {
    const c = await RawWcsClient.open(relay.wsUrl);
    c.send('publishStream', { mediaSessionId: 'bad-sdp', name: 'garbage-1', sdp: 'hello, I am not SDP' });
    expect(String((await c.statusFor('bad-sdp')).data[0]!.info)).toMatch(/^Failed by error: invalid SDP/);
    c.send('publishStream', { mediaSessionId: 'vp9-only', name: 'garbage-2', sdp: VP9_ONLY_OFFER });
    expect((await c.statusFor('vp9-only')).data[0]).toMatchObject({ status: 'FAILED', info: 'No common codecs' });
    c.send('publishStream', { mediaSessionId: 'no-name', sdp: VP9_ONLY_OFFER });
    expect((await c.statusFor('no-name')).data[0]).toMatchObject({ status: 'FAILED', info: 'Stream name is invalid' });
    c.send('playStream', { name: 'steady', sdp: 'v=0' });
    expect((await c.waitFor((r) => r.message === 'fail')).data[0]!.info).toBe('MediaSessionId is null');

    const live = await (await fetch(`${relay.url}/rest-api/stream/find`, { method: 'POST', body: JSON.stringify({ name: 'steady', published: true }) })).json() as { mediaSessionId: string }[];
    c.send('playStream', { mediaSessionId: live[0]!.mediaSessionId, name: 'steady', sdp: VP9_ONLY_OFFER });
    expect((await c.statusFor(live[0]!.mediaSessionId)).data[0]).toMatchObject({ status: 'FAILED', info: 'MediaSessionId is already in use' });
    // Nothing half-made is left behind: the failed names are free and not listed.
    const names = (await (await fetch(`${relay.url}/rest-api/stream/find_all`)).json() as { name: string }[]).map((r) => r.name);
    expect(names.filter((n) => n.startsWith('garbage'))).toEqual([]);
    c.close();
  });

  it('a client that never answers pings is dropped ("Terminated by keep-alive"); SDK pages are not', async () => {
    const silent = await RawWcsClient.open(relay.wsUrl);
    const closed = await silent.closed;
    expect(closed).toMatchObject({ code: 4000, reason: 'Terminated by keep-alive' });
    expect(silent.received.filter((r) => r.message === 'ping').length).toBeGreaterThanOrEqual(8);
  });

  it('after all that, the parallel player still decodes rising frames and the relay is healthy', async () => {
    expect(await player.textContent('#status')).toBe('PLAYING');
    const samples = await sampleFrames(player, 2);
    expect(samples[2]!).toBeGreaterThan(samples[0]! + 10);
    const health = await fetch(`${relay.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', janus: { state: 'up', restarts: 0 } });
  });
});
