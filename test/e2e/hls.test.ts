/**
 * HLS and LL-HLS end to end, with real clients: relay A publishes its demo stream (VP8) and an SDK
 * publisher's H.264 stream; relay B pulls both and serves them as HLS, played by hls.js in Chromium
 * (Siphon's page and the SDK's own hls-js-player page) and read by ffprobe. A VP8 SDK publisher on B is
 * transcoded; the H.264 pull is passed through. The origin restarting shows the discontinuity path.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { launchBrowser, sampleFrames } from '../harness/browser.ts';
import { openTwoWay, publishOn } from '../harness/sdk-pages.ts';
import { hlsFrames, hlsState, openHlsPlayer, openSdkHlsPlayer, sdkHlsFrames } from '../harness/hls-page.ts';
import { makeCertificate } from '../harness/certificate.ts';

interface HlsRecord { state: string; transcodes: boolean; viewers: number; restarts: number }

describe('HLS: every stream on a relay plays as HLS and LL-HLS', () => {
  let ns: NetNamespace;
  let a: RelayProcess;
  let b: RelayProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let dir: string;
  let tls: { cert: string; key: string };
  const aEnv = () => ({ SIPHON_DEMO_STREAM: 'demo', SIPHON_DEMO_KBPS: '800', SIPHON_CODECS: 'opus,h264,vp8',
    SIPHON_TLS_CERT: tls.cert, SIPHON_TLS_KEY: tls.key });

  beforeAll(async () => {
    ns = NetNamespace.create();
    dir = mkdtempSync(join(tmpdir(), 'siphon-hls-'));
    tls = makeCertificate(dir, ns.address);
    a = await RelayProcess.start(ns, aEnv());
    b = await RelayProcess.start(ns, { ...RelayProcess.slot(1), SIPHON_PULL_ALLOWED_ORIGINS: `${ns.address}:8080`, SIPHON_PULL_RETRY_MAX_MS: '2000' });
    ({ browser, close: closeBrowser } = await launchBrowser(ns));
    const { page } = await openTwoWay(browser, a.pageUrl);
    await publishOn(page, 'cam');
    for (const name of ['cam', 'demo']) {
      const res = await fetch(`${b.url}/rest-api/pull/pull`, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uri: a.innerWsUrl, remoteStreamName: name, localStreamName: name }) });
      expect(res.status).toBe(200);
    }
    await vi.waitFor(async () => expect((await (await fetch(`${b.url}/rest-api/pull/find_all`)).json() as { status: string }[])
      .map((p) => p.status)).toEqual(['PLAYING', 'PLAYING']), { timeout: 30_000, interval: 250 });
  });

  afterAll(async () => {
    await closeBrowser?.();
    await Promise.all([a?.stop(), b?.stop()]);
    ns?.destroySync();
    rmSync(dir, { recursive: true, force: true });
  });

  const hlsOf = async (relay: RelayProcess, name: string): Promise<HlsRecord | undefined> =>
    ((await (await fetch(`${relay.url}/health`)).json()) as { hls: (HlsRecord & { stream: string })[] }).hls.find((h) => h.stream === name);
  const playlist = async (relay: RelayProcess, name: string) => (await fetch(`${relay.hlsUrl}/${name}/${name}.m3u8`)).text();
  const encoders = () => spawnSync('pgrep', ['-f', 'ffmpeg.*libx264'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);

  it('a pulled H.264 stream plays in hls.js (LL-HLS) and is passed through: no encoder runs for it', async () => {
    const page = await openHlsPlayer(browser, b.pageUrl, 'cam', true);
    const frames = await sampleFrames(page, 3, hlsFrames);
    expect(frames[3]!).toBeGreaterThan(frames[1]!);
    expect(frames[1]!).toBeGreaterThan(frames[0]!);
    const state = await hlsState(page);
    expect(state.latency).toBeGreaterThan(0);
    expect(state.kbps).toBeGreaterThan(0);
    expect(await hlsOf(b, 'cam')).toMatchObject({ state: 'running', transcodes: false, viewers: 1 });
    expect(encoders()).toEqual([]);
    const records = await (await fetch(`${b.url}/rest-api/stream/find_all`)).json() as { name: string; hls: HlsRecord & { path: string } | null }[];
    expect(records.find((r) => r.name === 'cam')?.hls).toMatchObject({ path: '/cam/cam.m3u8', state: 'running', transcodes: false });
    const metrics = await (await fetch(`${b.url}/metrics`)).text();
    expect(metrics).toMatch(/^siphon_hls_packagers\{state="running"\} 1$/m);
    expect(Number(/^siphon_hls_parts_served_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    const text = await playlist(b, 'cam');
    expect(text).toMatch(/#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=/);
    expect(text).toMatch(/#EXT-X-PART:DURATION=/);
    expect(text).toMatch(/#EXT-X-PRELOAD-HINT:TYPE=PART/);
    expect(text).toMatch(/#EXT-X-PROGRAM-DATE-TIME:/);
    await page.close();
  });

  it("the relay's index links each stream's HLS player, LL-HLS player and playlist, and the links work", async () => {
    const page = await browser.newPage();
    await page.goto(`${b.pageUrl}/`);
    await page.waitForSelector('tr[data-stream="cam"] a[href$=".m3u8"]');
    const links = await page.$$eval('tr[data-stream="cam"] a', (as) => as.map((a) => (a as HTMLAnchorElement).href));
    expect(links).toContain(`${b.pageUrl}/hls.html?stream=cam`);
    expect(links).toContain(`${b.pageUrl}/hls.html?stream=cam&ll=1`);
    expect(links).toContain(`${b.pageHlsUrl}/cam/cam.m3u8`);
    expect(await page.evaluate((u) => fetch(u).then((r) => r.text()), `${b.pageHlsUrl}/cam/cam.m3u8`)).toMatch(/^#EXTM3U\n/);
    await page.close();
  });

  it("the SDK's own hls-js-player page plays it unchanged, with LL-HLS and without", async () => {
    for (const ll of [true, false]) {
      const page = await openSdkHlsPlayer(browser, b.pageUrl, b.pageHlsUrl, 'cam', ll);
      const frames = await sampleFrames(page, 2, sdkHlsFrames);
      expect([ll, frames[2]! > frames[0]!]).toEqual([ll, true]);
      await page.close();
    }
  });

  it('ffprobe reads the playlist: h264 and aac; segments and parts within the advertised targets', async () => {
    const probe = JSON.parse(execFileSync('ip', ['netns', 'exec', ns.name, 'ffprobe', '-v', 'error', '-show_entries',
      'stream=codec_name,codec_type', '-of', 'json', `http://${ns.address}:${b.hlsPort}/cam/cam.m3u8`], { encoding: 'utf8', timeout: 30_000 }));
    const codecs = (probe.streams as { codec_type: string; codec_name: string }[]).map((s) => `${s.codec_type}:${s.codec_name}`);
    expect(codecs).toContain('video:h264');
    expect(codecs).toContain('audio:aac');
    const text = await playlist(b, 'cam');
    const target = Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(text)![1]);
    const partTarget = Number(/PART-TARGET=([\d.]+)/.exec(text)![1]);
    const segments = [...text.matchAll(/#EXTINF:([\d.]+),/g)].map((m) => Number(m[1]));
    const parts = [...text.matchAll(/#EXT-X-PART:DURATION=([\d.]+)/g)].map((m) => Number(m[1]));
    expect(segments.length).toBeGreaterThanOrEqual(3);
    for (const d of segments) expect(Math.round(d)).toBeLessThanOrEqual(target);
    for (const d of parts) expect(d).toBeLessThanOrEqual(partTarget + 0.001);
    // Keyframes asked for each segment: most segments are near the 1 s target, not the source's GOP.
    expect(segments.filter((d) => d >= 0.6 && d <= 1.3).length).toBeGreaterThanOrEqual(segments.length - 1);
  });

  it('a VP8 publisher (SDK Two Way Streaming) plays as HLS: transcoded only while its HLS output runs; it ends with EXT-X-ENDLIST, then 404', async () => {
    const { page: publisher } = await openTwoWay(browser, b.pageUrl);
    await publishOn(publisher, 'vp8cam');
    const page = await openHlsPlayer(browser, b.pageUrl, 'vp8cam', false);
    const frames = await sampleFrames(page, 2, hlsFrames);
    expect(frames[2]!).toBeGreaterThan(frames[0]!);
    expect(await hlsOf(b, 'vp8cam')).toMatchObject({ state: 'running', transcodes: true });
    expect(encoders()).toHaveLength(1);
    await page.close();
    await publisher.click('#publishBtn'); // Stop
    await expect.poll(() => playlist(b, 'vp8cam'), { timeout: 10_000 }).toMatch(/#EXT-X-ENDLIST\n$/);
    expect(encoders()).toEqual([]);
    await expect.poll(async () => (await fetch(`${b.hlsUrl}/vp8cam/vp8cam.m3u8`)).status, { timeout: 20_000 }).toBe(404);
    await publisher.close();
  });

  it('with a certificate the TLS port (8445) serves the same playlist, for https pages', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      httpsGet(`https://${ns.address}:8445/demo/demo.m3u8`, { ca: readFileSync(tls.cert) }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => resolve(`${res.statusCode} ${res.headers['access-control-allow-origin']}\n${body}`));
      }).on('error', reject);
    });
    expect(text).toMatch(/^200 \*\n#EXTM3U\n/);
    expect(text).toMatch(/#EXT-X-PART:DURATION=/);
  });

  it('bad requests get 4xx JSON or are answered, and the relay keeps serving the other stream', async () => {
    await playlist(b, 'demo');
    const statuses: [string, number][] = [];
    for (const path of ['/nope/nope.m3u8', '/demo/..%2f..%2f..%2fetc%2fpasswd', '/demo/%2e%2e/demo.m3u8', '/demo/demo.m3u8?_HLS_msn=99999999',
      '/demo/demo.m3u8?_HLS_msn=x', '/demo/seg-x-1.m4s']) {
      const res = await fetch(`${b.hlsUrl}${path}`);
      statuses.push([path, res.status]);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
    }
    expect(statuses.every(([, s]) => s >= 400 && s < 500)).toBe(true);
    const text = await playlist(b, 'demo');
    const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-[a-z0-9]+-(\d+)\.(\d+)\.m4s"/.exec(text)!;
    const blocking = Array.from({ length: 1000 }, () =>
      fetch(`${b.hlsUrl}/demo/demo.m3u8?_HLS_msn=${hint[1]}&_HLS_part=${hint[2]}`).then((r) => r.status, () => -1));
    const other = await fetch(`${b.hlsUrl}/cam/cam.m3u8`);
    expect(other.status).toBe(200);
    const answered = await Promise.all(blocking);
    expect(answered.filter((s) => s === 200).length).toBeGreaterThan(990);
    expect(answered.every((s) => s === 200 || s === 503)).toBe(true);
  });

  it('the origin relay restarts while hls.js plays the pull: EXT-X-DISCONTINUITY, and playback resumes by itself', async () => {
    const page = await openHlsPlayer(browser, b.pageUrl, 'demo', true);
    await a.stop();
    a = await RelayProcess.start(ns, aEnv());
    await expect.poll(() => playlist(b, 'demo'), { timeout: 30_000 }).toMatch(/#EXT-X-DISCONTINUITY\n/);
    const before = await hlsFrames(page);
    await expect.poll(() => hlsFrames(page), { timeout: 20_000 }).toBeGreaterThan(before + 30);
    expect((await hlsOf(b, 'demo'))!.restarts).toBeGreaterThanOrEqual(1);
    expect((await hlsState(page)).status).toBe('playing');
    await page.close();
  });

  it('relay B stops with HLS outputs running: no packager is left behind', async () => {
    expect(spawnSync('pgrep', ['-x', 'ffmpeg']).status).toBe(0);
    expect(await b.stop()).toBe(0);
    expect(spawnSync('pgrep', ['-x', 'ffmpeg'], { encoding: 'utf8' }).stdout).toBe('');
  });
});
