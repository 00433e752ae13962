/**
 * The WCS pull API on the relay, end to end: relays A, B and C in one namespace, the SDK's pages
 * publishing on A, pulls on B (and C) by REST, playback by the SDK Player and Siphon's viewer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { launchBrowser, pliReceived, sampleFrames, setSending } from '../harness/browser.ts';
import { openPlayer, openTwoWay, publishOn } from '../harness/sdk-pages.ts';
import { makeCertificate } from '../harness/certificate.ts';
import { openViewer, viewerFrames, viewerState } from '../harness/viewer-page.ts';
import { WcsProxy } from '../harness/wcs-proxy.ts';

interface PullRecord { localStreamName: string; remoteStreamName: string; status: string; info: string; attempts: number; lastError: string | null; uri: string }

describe('pull: relay B captures streams published on relay A', () => {
  let ns: NetNamespace;
  let dir: string;
  let tls: { cert: string; key: string };
  let a: RelayProcess;
  let b: RelayProcess;
  let c: RelayProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let publisher: Page;
  const aEnv = () => ({ SIPHON_TLS_CERT: tls.cert, SIPHON_TLS_KEY: tls.key });

  beforeAll(async () => {
    ns = NetNamespace.create();
    dir = mkdtempSync(join(tmpdir(), 'siphon-pull-'));
    tls = makeCertificate(dir, ns.address);
    a = await RelayProcess.start(ns, aEnv());
    b = await RelayProcess.start(ns, {
      ...RelayProcess.slot(1), SIPHON_WCS_AGENT_SSL: 'true', SIPHON_PULL_CA_FILE: tls.cert,
      SIPHON_PULL_ALLOWED_ORIGINS: `${ns.address}:8080,${ns.address}:8443,${ns.hostAddress}`, SIPHON_PULL_RETRY_MAX_MS: '3000',
    });
    c = await RelayProcess.start(ns, RelayProcess.slot(2));
    ({ browser, close: closeBrowser } = await launchBrowser(ns));
    ({ page: publisher } = await openTwoWay(browser, a.pageUrl));
    await publishOn(publisher, '6602');
  });

  afterAll(async () => {
    await closeBrowser?.();
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
    ns?.destroySync();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (relay: RelayProcess, path: string, body?: unknown) => fetch(`${relay.url}/rest-api/pull/${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const pull = (relay: RelayProcess, uri: string, remoteStreamName: string, localStreamName: string) =>
    call(relay, 'pull', { uri, remoteStreamName, localStreamName });
  const records = async (relay: RelayProcess): Promise<PullRecord[]> => {
    const res = await call(relay, 'find_all');
    return res.status === 404 ? [] : await res.json() as PullRecord[];
  };
  const recordOf = async (relay: RelayProcess, local: string) => (await records(relay)).find((r) => r.localStreamName === local);
  const statusOf = async (relay: RelayProcess, local: string) => (await recordOf(relay, local))?.status;
  const terminate = (relay: RelayProcess, localStreamName: string) => call(relay, 'terminate', { localStreamName });

  it('seed: pull 6602 from A into B, play it on B with the SDK Player and the viewer, terminate', async () => {
    const res = await pull(b, a.innerWsUrl, '6602', '6602');
    expect(res.status).toBe(200);
    expect((await records(b)).map((r) => [r.localStreamName, r.remoteStreamName, r.uri])).toEqual([['6602', '6602', a.innerWsUrl]]);
    await expect.poll(() => statusOf(b, '6602'), { timeout: 20_000 }).toBe('PLAYING');

    const player = await openPlayer(browser, b.pageUrl, '6602');
    const frames = await sampleFrames(player.page, 3);
    expect(frames[3]!).toBeGreaterThan(frames[1]!);
    expect(frames[1]!).toBeGreaterThan(frames[0]!);

    const plisBefore = await pliReceived(publisher);
    const viewer = await openViewer(browser, b.pageUrl, '6602');
    const viewed = await sampleFrames(viewer, 3, viewerFrames);
    expect(viewed[3]!).toBeGreaterThan(viewed[1]!);
    // The viewer's join on B reached the publishing browser on A as a keyframe request.
    expect(await pliReceived(publisher)).toBeGreaterThan(plisBefore);
    const listed = await (await fetch(`${b.url}/rest-api/stream/find`, { method: 'POST', body: JSON.stringify({ name: '6602', published: true }) })).json();
    expect(listed).toMatchObject([{ name: '6602', status: 'PUBLISHING', videoCodec: 'VP8' }]);

    const playersOnA = async () => ((await (await fetch(`${a.url}/rest-api/stream/find_all`)).json()) as { mediaType: string }[])
      .filter((r) => r.mediaType === 'play').length;
    expect(await playersOnA()).toBe(1);
    const ended = await terminate(b, '6602');
    expect(ended.status).toBe(200);
    await expect.poll(playersOnA).toBe(0);
    expect((await call(b, 'find_all')).status).toBe(404);
    // B let go of its side too: no mountpoint left in its Janus, no tee sockets held.
    const metricsB = async () => (await fetch(`${b.url}/metrics`)).text();
    await expect.poll(metricsB).toMatch(/^siphon_janus_mountpoints 0$/m);
    expect(await metricsB()).toMatch(/^siphon_udp_pairs 0$/m);
    await a.waitFor((l) => l.event === 'media_session.status' && l.role === 'player' && l.to === 'STOPPED');
    await player.page.close();
    await viewer.close();
  });

  it('a second pull of the same localStreamName → 409; of 10 racing identical pulls exactly one wins', async () => {
    expect((await pull(b, a.innerWsUrl, '6602', 'dup')).status).toBe(200);
    const again = await pull(b, a.innerWsUrl, '6602', 'dup');
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'conflict' });
    const race = await Promise.all(Array.from({ length: 10 }, () => pull(b, a.innerWsUrl, '6602', 'race')));
    expect(race.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(409)]);
    expect((await records(b)).filter((r) => r.localStreamName === 'race')).toHaveLength(1);
    expect((await terminate(b, 'dup')).status).toBe(200);
    expect((await terminate(b, 'race')).status).toBe(200);
    expect((await terminate(b, 'race')).status).toBe(404);
  });

  it('bad bodies → 400 each, nothing created; a host outside pull_allowed_origins → 403, nothing dialled', async () => {
    const ok = { uri: a.innerWsUrl, remoteStreamName: '6602', localStreamName: 'bad' };
    const cases: [string, unknown][] = [
      ['not json', '{"uri":'],
      ['empty body', ''],
      ['array', [ok]],
      ['missing uri', { remoteStreamName: '6602', localStreamName: 'bad' }],
      ['missing localStreamName', { uri: ok.uri, remoteStreamName: '6602' }],
      ['number name', { ...ok, localStreamName: 42 }],
      ['empty name', { ...ok, localStreamName: '' }],
      ['blank name', { ...ok, remoteStreamName: '   ' }],
      ['over-long name', { ...ok, localStreamName: 'n'.repeat(257) }],
      ['control character', { ...ok, localStreamName: 'a\u0007b' }],
      ['ftp uri', { ...ok, uri: `ftp://${ns.address}:8080` }],
      ['a WCS uri with no remoteStreamName', { ...ok, remoteStreamName: '' }],
      ['not a url', { ...ok, uri: 'wcs-server' }],
      ['over 64 KiB', { ...ok, padding: 'x'.repeat(70_000) }],
    ];
    for (const [what, body] of cases) {
      const res = await fetch(`${b.url}/rest-api/pull/pull`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
      expect(res.status, what).toBe(400);
      const json = await res.json() as { error: string; message: string };
      expect(json.error, what).toBe('bad_request');
      expect(json.message.length, what).toBeGreaterThan(0);
    }
    const denied = await pull(b, 'ws://wcs.elsewhere.example:8080', '6602', 'denied');
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ error: 'forbidden' });
    expect(await records(b)).toEqual([]);
    expect(b.lines.some((l) => l.event === 'pull.created' && (l.stream === 'bad' || l.stream === 'denied'))).toBe(false);
  });

  it('wss: B (wcs_agent_ssl=true, trusting the test certificate) pulls over wss and plays; C (off) answers 400', async () => {
    const wss = `wss://${ns.address}:8443`;
    const refused = await pull(c, wss, '6602', 'secure');
    expect(refused.status).toBe(400);
    expect((await refused.json() as { message: string }).message).toMatch(/wcs_agent_ssl=true/);
    expect((await pull(b, wss, '6602', 'secure')).status).toBe(200);
    await expect.poll(() => statusOf(b, 'secure'), { timeout: 20_000 }).toBe('PLAYING');
    const player = await openPlayer(browser, b.pageUrl, 'secure');
    const frames = await sampleFrames(player.page, 2);
    expect(frames[2]!).toBeGreaterThan(frames[0]!);
    await player.page.close();
    expect((await terminate(b, 'secure')).status).toBe(200);
  });

  it('cascade A → B → C plays on C', async () => {
    expect((await pull(b, a.innerWsUrl, '6602', 'mid')).status).toBe(200);
    await expect.poll(() => statusOf(b, 'mid'), { timeout: 20_000 }).toBe('PLAYING');
    expect((await pull(c, b.innerWsUrl, 'mid', 'leaf')).status).toBe(200);
    await expect.poll(() => statusOf(c, 'leaf'), { timeout: 20_000 }).toBe('PLAYING');
    const player = await openPlayer(browser, c.pageUrl, 'leaf');
    const frames = await sampleFrames(player.page, 3);
    expect(frames[3]!).toBeGreaterThan(frames[1]!);
    expect(frames[1]!).toBeGreaterThan(frames[0]!);
    await player.page.close();
    expect((await terminate(c, 'leaf')).status).toBe(200);
    expect((await terminate(b, 'mid')).status).toBe(200);
  });

  it('a remote stream that does not exist yet: FAILED "Stream not found", retried, plays once published', async () => {
    expect((await pull(b, a.innerWsUrl, 'late', 'late')).status).toBe(200);
    // Between attempts the pull rests in FAILED with the remote's reason; it keeps trying.
    await expect.poll(async () => {
      const r = await recordOf(b, 'late');
      return r && r.attempts >= 2 && r.status === 'FAILED' ? { info: r.info, lastError: r.lastError } : undefined;
    }, { timeout: 15_000 }).toEqual({ info: 'Stream not found', lastError: 'Stream not found' });
    const late = await openTwoWay(browser, a.pageUrl);
    await publishOn(late.page, 'late');
    await expect.poll(() => statusOf(b, 'late'), { timeout: 20_000 }).toBe('PLAYING');
    expect((await terminate(b, 'late')).status).toBe(200);
    await late.page.close();
  });

  it('the remote publisher stops: FAILED with the remote\'s info at once (not the stall timeout), PLAYING again when it is back', async () => {
    // Through a proxy that makes A speak like a WCS that reports the end as UNPUBLISHED with no info; direct from A, STOPPED.
    const proxy = await WcsProxy.start(ns.hostAddress, a.innerWsUrl, (f) => {
      const o = f.data[0];
      if (f.message !== 'notifyStreamStatusEvent' || o?.status !== 'STOPPED') return f;
      return { ...f, data: [{ ...o, status: 'UNPUBLISHED', info: '' }] };
    });
    const gone = await openTwoWay(browser, a.pageUrl);
    await publishOn(gone.page, 'bye');
    expect((await pull(b, a.innerWsUrl, 'bye', 'bye')).status).toBe(200);
    expect((await pull(b, proxy.url, 'bye', 'bye-wcs')).status).toBe(200);
    await expect.poll(async () => [await statusOf(b, 'bye'), await statusOf(b, 'bye-wcs')], { timeout: 20_000 }).toEqual(['PLAYING', 'PLAYING']);
    const stoppedAt = Date.now();
    await gone.page.click('#publishBtn'); // the page's Stop
    for (const [stream, info] of [['bye', 'Stopped by publisher stop'], ['bye-wcs', 'UNPUBLISHED']]) {
      const failed = await b.waitFor((l) => l.event === 'pull.state' && l.stream === stream && l.to === 'FAILED'
        && Date.parse(l.t as string) >= stoppedAt, 10_000);
      const afterMs = Date.parse(failed.t as string) - stoppedAt;
      console.log(`pull ${stream} FAILED (${info}) ${afterMs} ms after the remote publisher stopped`); // quoted in bench/RESULTS.md
      expect(failed.info).toBe(info);
      expect(afterMs).toBeLessThan(5000); // the stall timer (SIPHON_PULL_STALL_MS) was not what ended it
    }
    await publishOn(gone.page, 'bye');
    await expect.poll(async () => [await statusOf(b, 'bye'), await statusOf(b, 'bye-wcs')], { timeout: 20_000 }).toEqual(['PLAYING', 'PLAYING']);
    expect((await terminate(b, 'bye')).status).toBe(200);
    expect((await terminate(b, 'bye-wcs')).status).toBe(200);
    await gone.page.close();
    await proxy.close();
  });

  it('a stall (no RTP for 5 s while PLAYING) makes the pull reconnect by itself', async () => {
    expect((await pull(b, a.innerWsUrl, '6602', 'stall')).status).toBe(200);
    await expect.poll(() => statusOf(b, 'stall'), { timeout: 20_000 }).toBe('PLAYING');
    const attempts = (await recordOf(b, 'stall'))!.attempts;
    await setSending(publisher, false);
    await b.waitFor((l) => l.event === 'pull.state' && l.stream === 'stall' && l.to === 'FAILED', 15_000);
    expect((await recordOf(b, 'stall'))!.lastError).toBe('no media for 5000 ms');
    await setSending(publisher, true);
    await expect.poll(async () => (await recordOf(b, 'stall'))?.attempts ?? 0, { timeout: 15_000 }).toBeGreaterThan(attempts);
    await expect.poll(() => statusOf(b, 'stall'), { timeout: 20_000 }).toBe('PLAYING');
    expect((await terminate(b, 'stall')).status).toBe(200);
  });

  it('A killed and started again, the stream republished: B plays again with no REST call, its viewer resumes', async () => {
    expect((await pull(b, a.innerWsUrl, '6602', 'survivor')).status).toBe(200);
    await expect.poll(() => statusOf(b, 'survivor'), { timeout: 20_000 }).toBe('PLAYING');
    const viewer = await openViewer(browser, b.pageUrl, 'survivor');

    a.child.kill('SIGKILL');
    await a.exited;
    await expect.poll(() => statusOf(b, 'survivor'), { timeout: 15_000 }).toBe('FAILED');
    a = await RelayProcess.start(ns, aEnv());
    await publisher.close();
    ({ page: publisher } = await openTwoWay(browser, a.pageUrl));
    await publishOn(publisher, '6602');
    await expect.poll(() => statusOf(b, 'survivor'), { timeout: 20_000 }).toBe('PLAYING');
    expect((await recordOf(b, 'survivor'))!.attempts).toBeGreaterThanOrEqual(2);

    await viewer.waitForFunction(() => (window as unknown as { siphonViewer: { status: string; framesDecoded: number } }).siphonViewer.framesDecoded > 0, undefined, { timeout: 30_000 });
    const before = await viewerFrames(viewer);
    await expect.poll(() => viewerFrames(viewer), { timeout: 10_000 }).toBeGreaterThan(before + 10);
    expect((await viewerState(viewer)).status).toBe('playing');
    await viewer.close();
    expect((await terminate(b, 'survivor')).status).toBe(200);
  });
});
