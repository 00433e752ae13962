/**
 * Access that ends, across two guarded relays behind the edge (wrangler dev), with real clients: a revoke by `sub` on
 * the edge ends a subject's sessions on both relays and every protocol (the SDK's page, medooze's WHEP client, the
 * viewer page, hls.js through the edge) within 1 s; tokens of 20 s end them within 1 s of expiry, and refreshed ones
 * play 2 minutes without a frame gap over 500 ms; 50 viewers with 50 tokens through the edge cost the relay at most
 * 2 requests per media object. The stream comes from an open origin relay, pulled through the edge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SignJWT } from 'jose';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { EdgeProcess } from '../harness/edge-process.ts';
import { framesDecoded, launchBrowser } from '../harness/browser.ts';
import { PLAYER, StatusLog, TWO_WAY, clickWhenBound, publishOn } from '../harness/sdk-pages.ts';
import { openWhep, stopWhep, type WhepPage } from '../harness/whep-page.ts';
import { hlsState, openHlsPlayer } from '../harness/hls-page.ts';
import { viewerState } from '../harness/viewer-page.ts';
import { maxFrameGapMs, pageNow, watchFrameGaps } from '../harness/frame-gaps.ts';
import { setTimeout as delay } from 'node:timers/promises';

const TOKEN_SECRET = 'token-secret-for-hs256-of-enough-length';
const HLS_SECRET = 'hls-session-secret-shared-with-the-edge';
const GUARDED = { SIPHON_TOKEN_SECRET: TOKEN_SECRET, SIPHON_HLS_SESSION_SECRET: HLS_SECRET };
const BOTH = [{ action: 'publish', stream: 'cam-*' }, { action: 'play', stream: '*' }];
const token = (sub: string, permissions = BOTH, expires: string | number = '10m') => new SignJWT({ siphon_permissions: permissions })
  .setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime(expires).sign(new TextEncoder().encode(TOKEN_SECRET));
const inSeconds = (seconds: number) => Math.ceil(Date.now() / 1000) + seconds;
/** The edge's HLS URL as the browser (inside the namespace) reaches it; the test process uses `edge.url`. */
const EDGE_HLS = 'http://127.0.0.1:8081/hls/cdn-cam/cdn-cam.m3u8';

const metric = async (relay: RelayProcess, name: string) =>
  Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(await (await fetch(`${relay.url}/metrics`)).text())?.[1]);

/** When `holds` first held, polled every 100 ms (what a person watching would notice, to a tenth of a second). */
async function firstTime(holds: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await holds()) return Date.now();
    await delay(100);
  }
  throw new Error(`not within ${timeoutMs} ms`);
}

describe('access across relays, through the edge', () => {
  let ns: NetNamespace;
  let origin: RelayProcess;
  let relays: RelayProcess[];
  /** The relay the edge placed the pull on (its HLS goes through the edge), and the other one. */
  let held: RelayProcess;
  let other: RelayProcess;
  let edge: EdgeProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;

  beforeAll(async () => {
    ns = NetNamespace.create();
    [origin, ...relays] = await Promise.all([
      RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'origin-cam', SIPHON_DEMO_CODEC: 'h264' }),
      RelayProcess.start(ns, { ...RelayProcess.slot(1), ...GUARDED }),
      RelayProcess.start(ns, { ...RelayProcess.slot(2), ...GUARDED }),
    ]);
    edge = await EdgeProcess.start(ns, {
      RELAYS: JSON.stringify(relays.map((r, i) => ({ id: `r${i}`, url: `http://127.0.0.1:${r.port}`, hls: `http://127.0.0.1:${r.hlsPort}` }))),
      HLS_SESSION_SECRET: HLS_SECRET,
    });
    const pulled = await fetch(`${edge.url}/rest-api/pull/pull`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ uri: 'ws://127.0.0.1:8080', remoteStreamName: 'origin-cam', localStreamName: 'cdn-cam' }) });
    expect(pulled.status).toBe(200);
    const has = async (r: RelayProcess) => ((await (await fetch(`${r.url}/api/streams`)).json()) as { name: string }[]).some((s) => s.name === 'cdn-cam');
    await firstTime(async () => (await Promise.all(relays.map(has))).filter(Boolean).length === 1, 30_000);
    held = (await has(relays[0]!)) ? relays[0]! : relays[1]!;
    other = held === relays[0] ? relays[1]! : relays[0]!;
    ({ browser, close: closeBrowser } = await launchBrowser(ns));
  }, 120_000);

  afterAll(async () => {
    await closeBrowser?.();
    await edge?.stop();
    await Promise.all([origin?.stop(), ...(relays ?? []).map((r) => r?.stop())]);
    ns?.destroySync();
  });

  /** The SDK's two-way page connected with `credential` on its Websocket URL, publishing `name`. */
  async function publisher(relay: RelayProcess, credential: string, name: string): Promise<{ page: Page; statuses: StatusLog }> {
    const page = await browser.newPage();
    const statuses = new StatusLog(page);
    await page.goto(relay.pageUrl + TWO_WAY);
    await page.fill('#urlServer', `${relay.pageUrl.replace(/^http/, 'ws')}/?token=${credential}`);
    await clickWhenBound(page, '#connectBtn');
    await page.waitForFunction(() => document.querySelector('#connectStatus')?.textContent === 'ESTABLISHED', undefined, { timeout: 20_000 });
    await publishOn(page, name);
    return { page, statuses };
  }

  /** The SDK's player page connected with `credential` on its Websocket URL, playing `name` on the relay that holds it. */
  async function sdkPlayer(credential: string, name: string): Promise<{ page: Page; statuses: StatusLog }> {
    const page = await browser.newPage();
    const statuses = new StatusLog(page);
    await page.goto(`${held.pageUrl}${PLAYER}?streamName=${encodeURIComponent(name)}`);
    await page.fill('#url', `${held.pageUrl.replace(/^http/, 'ws')}/?token=${credential}`);
    await clickWhenBound(page, '#playBtn');
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'PLAYING', undefined, { timeout: 20_000 });
    return { page, statuses };
  }

  async function viewerPage(credential: string): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${held.pageUrl}/viewer.html?stream=cdn-cam&token=${credential}`);
    await expect.poll(async () => (await viewerState(page)).framesDecoded, { timeout: 20_000 }).toBeGreaterThan(0);
    return page;
  }

  const hlsPlayer = (credential: string) => openHlsPlayer(browser, held.pageUrl, 'cdn-cam', true, 60_000, `${EDGE_HLS}?token=${credential}`, credential);
  const hlsRefused = async (p: Page) => { const s = await hlsState(p); return s.status.startsWith('error') || s.errors.some((e) => /levelLoad|manifestLoad/.test(e)); };
  /** Forgets the errors hls.js met so far (a start through the edge may meet a few): from now on one means refused. */
  const clearHlsErrors = (p: Page) => p.evaluate(() => { (window as unknown as { siphonHls: { errors: string[] } }).siphonHls.errors = []; });
  const edgeHls = () => `${edge.url}/hls/cdn-cam/cdn-cam.m3u8`;

  async function whep(relay: RelayProcess, stream: string, credential: string): Promise<WhepPage> {
    const w = await openWhep(browser, relay.pageUrl, `${relay.pageUrl}/whep/${stream}`, credential);
    await expect.poll(() => framesDecoded(w.page), { timeout: 20_000 }).toBeGreaterThan(0);
    return w;
  }

  it('a revoke by sub on the edge ends its sessions on both relays and every protocol within 1 s; another subject plays on', async () => {
    const revokee = await token('revokee');
    const bystander = await token('bystander');
    const [pub, gone, stays, viewer, hls] = await Promise.all([publisher(other, revokee, 'cam-r'), whep(held, 'cdn-cam', revokee),
      whep(held, 'cdn-cam', bystander), viewerPage(revokee), hlsPlayer(revokee)]);

    await clearHlsErrors(hls);
    const t0 = Date.now();
    const ended = Promise.all([
      firstTime(() => pub.statuses.frames.some((f) => f.status === 'UNPUBLISHED' && f.info === 'Access revoked')),
      firstTime(async () => (await metric(held, 'siphon_whep_sessions')) === 1),
      firstTime(async () => (await viewerState(viewer)).status !== 'playing'),
      firstTime(() => hlsRefused(hls)),
    ]);
    const res = await fetch(`${edge.url}/rest-api/access/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub: 'revokee' }) });
    const answered = Date.now() - t0;
    expect(res.status).toBe(200);
    const answer = await res.json() as { relays: { relay: string; ended?: number }[] };
    expect(answer.relays.every((r) => (r.ended ?? 0) >= 1)).toBe(true); // both relays ended something
    const [wcs, whepEnd, viewerEnd, hlsEnd] = await ended;
    const ms = { edgeAnswered: answered, wcs: wcs - t0, whep: whepEnd - t0, viewer: viewerEnd - t0, hls: hlsEnd - t0 };
    console.log(`revoke by sub through the edge, ended after (ms): ${JSON.stringify(ms)}`);
    for (const v of Object.values(ms)) expect(v).toBeLessThan(1500); // 1 s, with room for the pages' own delay and the 100 ms poll
    expect((await fetch(`${edgeHls()}?token=${revokee}`)).status).toBe(401); // and refused from then on
    expect(held.lines.some((l) => l.event === 'access.revoked') && other.lines.some((l) => l.event === 'access.revoked')).toBe(true);
    const before = await framesDecoded(stays.page);
    await expect.poll(() => framesDecoded(stays.page), { timeout: 5000 }).toBeGreaterThan(before + 10);
    await stopWhep(stays);
    for (const p of [pub.page, gone.page, stays.page, viewer, hls]) await p.close();
  });

  it('50 viewers with 50 distinct tokens through the edge: at most 2 relay requests per media object', async () => {
    const served = async () => {
      const rows = await (await fetch(`${held.url}/rest-api/stream/find_all`)).json() as { name: string; hls: { served: { parts: number; segments: number; inits?: number } } | null }[];
      const s = rows.find((r) => r.name === 'cdn-cam')?.hls?.served;
      return s ? s.parts + s.segments + (s.inits ?? 0) : 0;
    };
    const credentials = await Promise.all(Array.from({ length: 50 }, (_, i) => token(`viewer-${i}`)));
    const first = await fetch(`${edgeHls()}?token=${credentials[0]}`); // the output starts on the first admitted request
    expect(first.status).toBe(200);
    await first.text();
    const relayBefore = await served();
    const objects = new Set<string>();
    const until = Date.now() + 6000;
    await Promise.all(credentials.map(async (credential) => { // each a player polling its playlist and fetching what is new
      const seen = new Set<string>();
      while (Date.now() < until) {
        const playlist = `${edgeHls()}?token=${credential}`;
        const text = await (await fetch(playlist)).text();
        const uris = [...text.matchAll(/(?:URI="|^)([^"#\s][^"\s]*\.(?:m4s|mp4))/gm)].map((m) => m[1]!).slice(-6);
        for (const uri of uris) {
          const file = uri.split('/').pop()!;
          if (seen.has(file)) continue;
          const res = await fetch(new URL(uri, playlist));
          if (res.status !== 200) continue; // a part not made yet, or out of the window
          await res.arrayBuffer();
          seen.add(file);
          objects.add(file);
        }
        await delay(200);
      }
    }));
    const relayRequests = (await served()) - relayBefore;
    console.log(`edge HLS, 50 tokens: ${objects.size} media objects, ${relayRequests} relay requests`);
    expect(objects.size).toBeGreaterThan(5);
    expect(relayRequests).toBeLessThanOrEqual(2 * objects.size);
    // The edge keeps these apart from the open route's cache: without a session path they are not served.
    for (const file of [...objects].slice(-3)) expect((await fetch(`${edge.url}/hls/cdn-cam/${file}`)).status).toBe(401);
  });

  it('tokens of 20 s end every session within 1 s of expiry; refreshed ones play 2 minutes, no frame gap over 500 ms around any refresh', async () => {
    const exp = inSeconds(20);
    const short = await token('short', BOTH, exp);
    const [pub, w, viewer, hls] = await Promise.all([publisher(other, short, 'cam-x'), whep(held, 'cdn-cam', short), viewerPage(short), hlsPlayer(short)]);
    expect(Date.now()).toBeLessThan(exp * 1000 - 1000); // set up in time (else this machine was too slow for the test)
    const whepBefore = await metric(held, 'siphon_whep_sessions');
    await clearHlsErrors(hls);
    const [wcs, whepEnd, viewerEnd, hlsEnd] = await Promise.all([
      firstTime(() => pub.statuses.frames.some((f) => f.status === 'UNPUBLISHED' && f.info === 'Access expired'), 30_000),
      firstTime(async () => (await metric(held, 'siphon_whep_sessions')) === whepBefore - 1, 30_000),
      firstTime(async () => (await viewerState(viewer)).status !== 'playing', 30_000),
      firstTime(() => hlsRefused(hls), 30_000),
    ]);
    const ms = { wcs: wcs - exp * 1000, whep: whepEnd - exp * 1000, viewer: viewerEnd - exp * 1000, hls: hlsEnd - exp * 1000 };
    console.log(`20 s tokens, ended after expiry (ms): ${JSON.stringify(ms)}`);
    for (const v of Object.values(ms)) expect(v).toBeLessThan(1500);
    for (const p of [pub.page, w.page, viewer, hls]) await p.close();

    // Refreshed: an SDK player (WCS), a WHEP client, the viewer page and hls.js, each handed a fresh 20 s token every
    // 8 s the way its client does it. Players only, so the browser encodes nothing and the machine's load is the
    // relays' (a WCS publisher's refresh is in access.test.ts).
    let credential = await token('live', BOTH, inSeconds(20));
    const [sdk, liveWhep, liveViewer, liveHls] = await Promise.all([sdkPlayer(credential, 'cdn-cam'), whep(held, 'cdn-cam', credential),
      viewerPage(credential), hlsPlayer(credential)]);
    await Promise.all([watchFrameGaps(sdk.page), watchFrameGaps(liveWhep.page), watchFrameGaps(liveViewer, '#video'), watchFrameGaps(liveHls, '#video')]);
    const resource = new URL(await liveWhep.resource()).pathname;
    const pages = { wcs: sdk.page, whep: liveWhep.page, viewer: liveViewer, hls: liveHls };
    const marks = { wcs: [] as number[], whep: [] as number[], viewer: [] as number[], hls: [] as number[] };
    const until = Date.now() + 120_000;
    while (Date.now() < until) {
      await delay(8000);
      credential = await token('live', BOTH, inSeconds(20));
      for (const [k, p] of Object.entries(pages)) marks[k as keyof typeof marks].push(await pageNow(p));
      const [sent, patched, viewerTook] = await Promise.all([
        sdk.page.evaluate(async (t) => {
          const f = (window as unknown as { Flashphoner: { getSessions(): { sendData(d: unknown): Promise<unknown> }[] } }).Flashphoner;
          return f.getSessions()[0]!.sendData({ siphon: { token: t } }).then(() => true, () => false);
        }, credential),
        // A PATCH with nothing to trickle: the credential alone moves the session's end.
        fetch(`${held.url}${resource}`, { method: 'PATCH', headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/trickle-ice-sdpfrag' }, body: '' }),
        liveViewer.evaluate((t) => (window as unknown as { siphonViewer: { refresh(t: string): Promise<boolean> } }).siphonViewer.refresh(t), credential),
        liveHls.evaluate((t) => (window as unknown as { siphonHls: { refresh(t: string): void } }).siphonHls.refresh(t), credential),
      ]);
      expect([sent, patched.status, viewerTook]).toEqual([true, 204, true]);
    }
    // Around each refresh (from 0.5 s before to 2 s after) no gap over 500 ms: the refresh costs the picture nothing.
    // Over the whole 2 minutes the longest gap is reported too: on this 2-core machine, running 3 relays, the edge
    // and 4 decoding pages, load alone makes gaps at other moments (seen: 0.2–1.1 s), refreshed or not.
    const around: Record<string, number> = {};
    const overall: Record<string, number> = {};
    for (const [k, p] of Object.entries(pages)) {
      around[k] = await maxFrameGapMs(p, marks[k as keyof typeof marks]);
      overall[k] = await maxFrameGapMs(p);
    }
    console.log(`refreshed ${marks.wcs.length} times in 2 minutes; longest frame gap around a refresh (ms): ${JSON.stringify(around)}; over the whole run: ${JSON.stringify(overall)}`);
    expect(sdk.statuses.frames.some((f) => f.status === 'STOPPED' || f.status === 'FAILED')).toBe(false);
    expect((await viewerState(liveViewer)).status).toBe('playing');
    for (const v of Object.values(around)) expect(v).toBeLessThan(500);
    for (const v of Object.values(overall)) expect(v).toBeLessThan(3000); // frozen for long is a failure whatever the cause
    for (const p of [sdk.page, liveWhep.page, liveViewer, liveHls]) await p.close();
  }, 240_000);
});
