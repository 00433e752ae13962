/**
 * WHEP and WHIP with independent clients (medooze's WHEPClient and WHIPClient from npm `whip-whep`, in
 * Chromium): a WHEP player plays a stream relay B pulled from relay A and its DELETE leaves no Janus leg; a
 * WHIP encoder publishes to A and every other output plays it (the SDK Player on A, B's pull, HLS on B); WCS's
 * own WHIP path answers 202; bad requests get JSON 4xx and leave nothing half-made; relay B pulls relay A's
 * WHEP URL as a source and rides out A's restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { framesDecoded, launchBrowser, sampleFrames } from '../harness/browser.ts';
import { openWhep, openWhip, stopWhep } from '../harness/whep-page.ts';
import { openPlayer } from '../harness/sdk-pages.ts';
import { openViewer, viewerFrames } from '../harness/viewer-page.ts';
import { hlsFrames, openHlsPlayer } from '../harness/hls-page.ts';

const metric = async (relay: RelayProcess, name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${relay.url}/metrics`)).text())?.[1]);

describe('WHIP and WHEP with standard clients', () => {
  let ns: NetNamespace;
  let a: RelayProcess;
  let b: RelayProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let idleHandles: number;

  beforeAll(async () => {
    ns = NetNamespace.create();
    [a, b] = await Promise.all([
      RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'demo' }),
      // A STUN server on the root side of the veth: advertised to WHEP clients, and nothing answers there.
      RelayProcess.start(ns, { ...RelayProcess.slot(1), SIPHON_WHIP_WHEP_ICE_SERVERS: `stun:${ns.hostAddress}:3478,turn:${ns.hostAddress}:3478?transport=udp|user|pass` }),
    ]);
    ({ browser, close: closeBrowser } = await launchBrowser(ns));
    const res = await fetch(`${b.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: a.innerWsUrl, remoteStreamName: 'demo', localStreamName: 'copy' }) });
    expect(res.status).toBe(200);
    await b.waitFor((l) => l.event === 'pull.state' && l.stream === 'copy' && l.to === 'PLAYING', 20_000);
    idleHandles = await metric(b, 'siphon_janus_handles');
  });

  afterAll(async () => {
    await closeBrowser?.();
    await Promise.all([a?.stop(), b?.stop()]);
    ns?.destroySync();
  });

  it('WHEPClient plays the pulled stream from B (frames keep rising); its DELETE ends the session and Janus has no leg left', async () => {
    const player = await openWhep(browser, b.pageUrl, `${b.pageUrl}/whep/copy`);
    await expect.poll(() => framesDecoded(player.page), { timeout: 15_000 }).toBeGreaterThan(0);
    const samples = await sampleFrames(player.page, 3);
    expect(samples.at(-1)!).toBeGreaterThan(samples[0]!);
    expect(await player.resource()).toMatch(/\/whep\/copy\/[0-9a-f-]{36}$/);
    expect(await metric(b, 'siphon_whep_sessions')).toBe(1);
    const streams = await (await fetch(`${b.url}/rest-api/stream/find_all`)).json() as { name: string; mediaType: string; status: string }[];
    expect(streams).toContainEqual(expect.objectContaining({ name: 'copy', mediaType: 'play', status: 'PLAYING' }));
    expect(await metric(b, 'siphon_janus_handles')).toBe(idleHandles + 1);

    // The DELETE a WHEP player sends when it stops, sent while its PeerConnection is still up.
    expect((await fetch(`${b.url}${new URL(await player.resource()).pathname}`, { method: 'DELETE' })).status).toBe(200);
    expect(await metric(b, 'siphon_whep_sessions')).toBe(0);
    await expect.poll(() => metric(b, 'siphon_janus_handles')).toBe(idleHandles);
    await player.page.close();
  });

  it('an ICE restart through PATCH (If-Match: *) keeps the session playing under a new ETag; the old ETag then gets 412', async () => {
    const player = await openWhep(browser, b.pageUrl, `${b.pageUrl}/whep/copy`);
    await expect.poll(() => framesDecoded(player.page), { timeout: 15_000 }).toBeGreaterThan(0);
    const resource = new URL(await player.resource()).pathname;
    const etagBefore = await player.page.evaluate(() => (window as unknown as { whep: { etag: string } }).whep.etag);
    await player.page.evaluate(() => (window as unknown as { whep: { restart(): Promise<void> } }).whep.restart());
    await b.waitFor((l) => l.event === 'whep.ice_restarted' && resource.endsWith(String(l.session)));
    const etagAfter = await player.page.evaluate(() => (window as unknown as { whep: { etag: string } }).whep.etag);
    expect(etagAfter).toMatch(/^".+"$/);
    expect(etagAfter).not.toBe(etagBefore);
    // Media on the restarted ICE session: the frame counter keeps rising.
    const samples = await sampleFrames(player.page, 3);
    expect(samples.at(-1)!).toBeGreaterThan(samples[0]!);
    const stale = await fetch(`${b.url}${resource}`, { method: 'PATCH', body: 'a=end-of-candidates\r\n', headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': etagBefore } });
    expect(stale.status).toBe(412);
    expect(await metric(b, 'siphon_whep_sessions')).toBe(1);
    expect((await fetch(`${b.url}${resource}`, { method: 'DELETE' })).status).toBe(200);
    await player.page.close();
  });

  it('a WHIP encoder publishes to A: the SDK Player on A, B pulling it and HLS on B all play it; a second WHIP of the name is 409; its DELETE ends the stream', async () => {
    const encoder = await openWhip(browser, a.pageUrl, `${a.pageUrl}/whip/wpub`);
    expect(await encoder.resource()).toMatch(/\/whip\/wpub\/[0-9a-f-]{36}$/);
    const sdkPlayer = await openPlayer(browser, a.pageUrl, 'wpub');
    await expect.poll(() => framesDecoded(sdkPlayer.page), { timeout: 15_000 }).toBeGreaterThan(0);

    const again = await fetch(`${a.url}/whip/wpub`, { method: 'POST', body: 'v=0\r\n', headers: { 'content-type': 'application/sdp' } });
    expect({ status: again.status, body: await again.json() }).toMatchObject({ status: 409, body: { error: 'conflict' } });

    const res = await fetch(`${b.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: a.innerWsUrl, remoteStreamName: 'wpub', localStreamName: 'wpub-copy' }) });
    expect(res.status).toBe(200);
    await b.waitFor((l) => l.event === 'pull.state' && l.stream === 'wpub-copy' && l.to === 'PLAYING', 20_000);
    const viewer = await openViewer(browser, b.pageUrl, 'wpub-copy');
    await expect.poll(() => viewerFrames(viewer), { timeout: 10_000 }).toBeGreaterThan(0);
    const hls = await openHlsPlayer(browser, b.pageUrl, 'wpub-copy', false);
    await expect.poll(() => hlsFrames(hls), { timeout: 20_000 }).toBeGreaterThan(0);
    await Promise.all([viewer.close(), hls.close()]);

    const del = await fetch(`${a.url}${new URL(await encoder.resource()).pathname}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    await sdkPlayer.statuses.waitFor('STOPPED');
    expect((await fetch(`${a.url}/rest-api/stream/find`, { method: 'POST', body: JSON.stringify({ name: 'wpub', published: true }) })).status).toBe(404);
    await Promise.all([encoder.page.close(), sdkPlayer.page.close()]);
    await fetch(`${b.url}/rest-api/pull/terminate`, { method: 'POST', body: JSON.stringify({ localStreamName: 'wpub-copy' }) });
  });

  it("WCS's WHIP path (POST /rest-api/stream/publish/<name>) answers 202 with the SDP answer and publishes", async () => {
    const page = await browser.newPage();
    try {
      await page.goto(a.pageUrl);
      const status = await page.evaluate(async (url) => {
        const media = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
        const pc = new RTCPeerConnection();
        for (const track of media.getTracks()) pc.addTransceiver(track, { direction: 'sendonly' });
        await pc.setLocalDescription(await pc.createOffer());
        await new Promise<void>((resolve) => {
          if (pc.iceGatheringState === 'complete') resolve();
          pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') resolve(); };
        });
        const res = await fetch(url, { method: 'POST', body: pc.localDescription!.sdp, headers: { 'content-type': 'application/sdp' } });
        await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
        (window as unknown as { pc: RTCPeerConnection }).pc = pc;
        return res.status;
      }, `${a.pageUrl}/rest-api/stream/publish/wcs-whip`);
      expect(status).toBe(202);
      await expect.poll(async () => {
        const res = await fetch(`${a.url}/rest-api/stream/find`, { method: 'POST', body: JSON.stringify({ name: 'wcs-whip', published: true }) });
        return res.ok ? ((await res.json()) as { status: string }[])[0]?.status : res.status;
      }, { timeout: 15_000 }).toBe('PUBLISHING');
      // The encoder hangs up (its DTLS alert ends the leg): the publisher and its session go, no DELETE needed.
      await page.evaluate(() => (window as unknown as { pc: RTCPeerConnection }).pc.close());
      await expect.poll(() => metric(a, 'siphon_whip_sessions'), { timeout: 10_000 }).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('bad requests get JSON errors: 415, 400 with why, 404, 413, 412 on a stale ETag; OPTIONS answers CORS; nothing is left', async () => {
    const whep = `${b.url}/whep/copy`;
    const post = (body: string, type = 'application/sdp', url = whep) => fetch(url, { method: 'POST', body, headers: { 'content-type': type } });
    const errorOf = async (res: Response) => ({ status: res.status, body: await res.json() as { error: string; message: string } });

    const options = await fetch(whep, { method: 'OPTIONS', headers: { origin: 'http://player.example', 'access-control-request-method': 'POST' } });
    expect(options.status).toBe(204);
    expect(options.headers.get('access-control-allow-origin')).toBe('*');
    expect(options.headers.get('accept-post')).toBe('application/sdp');

    expect(await errorOf(await post('v=0', 'application/json'))).toMatchObject({ status: 415, body: { error: 'unsupported_media_type' } });
    const garbage = await errorOf(await post('this is not sdp'));
    expect(garbage).toMatchObject({ status: 400, body: { error: 'bad_sdp' } });
    expect(garbage.body.message).toMatch(/v=0/);
    expect(await errorOf(await post('v=0\r\n', 'application/sdp', `${b.url}/whep/nope`))).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect((await post(`v=0\r\n${'a=x\r\n'.repeat(20_000)}`)).status).toBe(413);
    const session = `${whep}/00000000-0000-0000-0000-000000000000`;
    expect((await fetch(session, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(session, { method: 'PATCH', body: 'a=end-of-candidates', headers: { 'content-type': 'application/trickle-ice-sdpfrag' } })).status).toBe(404);

    // A real offer from the browser: the 201 advertises the configured ICE servers (RFC 9725 Link headers).
    const page = await browser.newPage();
    await page.goto(b.pageUrl);
    const made = await page.evaluate(async (url) => {
      const pc = new RTCPeerConnection();
      pc.addTransceiver('video', { direction: 'recvonly' });
      await pc.setLocalDescription(await pc.createOffer());
      const res = await fetch(url, { method: 'POST', body: pc.localDescription!.sdp, headers: { 'content-type': 'application/sdp' } });
      pc.close();
      return { status: res.status, link: res.headers.get('link'), location: res.headers.get('location') };
    }, `${b.pageUrl}/whep/copy`);
    await page.close();
    expect(made.status).toBe(201);
    expect(made.link).toBe(`<stun:${ns.hostAddress}:3478>; rel="ice-server", <turn:${ns.hostAddress}:3478?transport=udp>; rel="ice-server"; username="user"; credential="pass"; credential-type="password"`);
    expect((await fetch(`${b.url}${made.location}`, { method: 'DELETE' })).status).toBe(200);

    // A live session: a stale If-Match is refused, a trickle with the current one is taken.
    const live = await openWhep(browser, b.pageUrl, `${b.pageUrl}/whep/copy`);
    const resource = new URL(await live.resource()).pathname;
    const patch = (ifMatch: string, body = 'a=end-of-candidates\r\n') =>
      fetch(`${b.url}${resource}`, { method: 'PATCH', body, headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': ifMatch } });
    expect(await errorOf(await patch('"stale"'))).toMatchObject({ status: 412, body: { error: 'precondition_failed' } });
    expect(await errorOf(await patch('"stale"', 'a=candidate:bad'))).toMatchObject({ status: 412 });
    // WHEPClient.stop() closes its PeerConnection first, then DELETEs: the resource is still there to answer.
    await stopWhep(live);
    await b.waitFor((l) => l.event === 'whep.session_deleted' && l.session === resource.split('/').at(-1));
    await live.page.close();
    await expect.poll(() => metric(b, 'siphon_whep_sessions')).toBe(0);
    await expect.poll(() => metric(b, 'siphon_janus_handles')).toBe(idleHandles);
  });

  it("B pulls A's WHEP URL (uri http://A:8080/whep/demo, no remoteStreamName): B's viewer plays it; A restarted → PLAYING again by itself; terminate DELETEs A's session", async () => {
    const uri = `${a.url}/whep/demo`;
    const res = await fetch(`${b.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri, localStreamName: 'whep-copy' }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ uri, remoteStreamName: '', localStreamName: 'whep-copy' });
    await b.waitFor((l) => l.event === 'pull.state' && l.stream === 'whep-copy' && l.to === 'PLAYING', 20_000);
    expect(await metric(a, 'siphon_whep_sessions')).toBe(1);
    const viewer = await openViewer(browser, b.pageUrl, 'whep-copy');
    await expect.poll(() => viewerFrames(viewer), { timeout: 10_000 }).toBeGreaterThan(0);
    await viewer.close();

    await a.stop();
    const restartedAt = Date.now();
    a = await RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'demo' });
    await b.waitFor((l) => l.event === 'pull.state' && l.stream === 'whep-copy' && l.to === 'PLAYING' && Date.parse(String(l.t)) > restartedAt, 30_000);
    await expect.poll(() => metric(a, 'siphon_whep_sessions')).toBe(1);

    const ended = await fetch(`${b.url}/rest-api/pull/terminate`, { method: 'POST', body: JSON.stringify({ localStreamName: 'whep-copy' }) });
    expect(ended.status).toBe(200);
    await a.waitFor((l) => l.event === 'whep.session_deleted' && l.stream === 'demo');
    expect(await metric(a, 'siphon_whep_sessions')).toBe(0);
  });
});
