/**
 * Who may connect, publish and play, with real clients: the SDK's own pages (WCS Websocket API), medooze's WHIP and
 * WHEP clients, and a hook backend running as its own process the way an operator's WCS application does (it
 * counts calls, checks the HMAC, answers 403, hangs, or is killed). Relay H asks the backend (WCS REST hooks); relay
 * T checks signed tokens (HS256) with no backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SignJWT } from 'jose';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { framesDecoded, launchBrowser, sampleFrames } from '../harness/browser.ts';
import { StatusLog, TWO_WAY, clickWhenBound, openPlayer, openTwoWay, publishOn } from '../harness/sdk-pages.ts';
import { openWhep, openWhip } from '../harness/whep-page.ts';
import { hlsFrames, hlsState, openHlsPlayer } from '../harness/hls-page.ts';
import { execFileSync } from 'node:child_process';
import { HookBackendProcess } from '../harness/hook-backend-process.ts';

const HOOK_SECRET = 'hook-hmac-key';
const TOKEN_SECRET = 'token-secret-for-hs256-of-enough-length';
const token = (sub: string, permissions: { action: string; stream: string }[], expires: string | number = '10m') => new SignJWT({ siphon_permissions: permissions })
  .setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime(expires).sign(new TextEncoder().encode(TOKEN_SECRET));
/** An expiry `seconds` from now, in the whole seconds a JWT carries. */
const inSeconds = (seconds: number) => Math.ceil(Date.now() / 1000) + seconds;

const metric = async (relay: RelayProcess, name: string) =>
  Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(await (await fetch(`${relay.url}/metrics`)).text())?.[1]);
const streamNames = async (relay: RelayProcess) => {
  const res = await fetch(`${relay.url}/rest-api/stream/find_all`);
  return res.status === 404 ? [] : ((await res.json()) as { name: string; published: boolean }[]).filter((s) => s.published).map((s) => s.name);
};

/** The two-way page with `url` typed into its server field; resolves with the session status it settles on. */
async function connectTwoWay(browser: Browser, baseUrl: string, url: string): Promise<{ page: Page; status: string; statuses: StatusLog }> {
  const page = await browser.newPage();
  const statuses = new StatusLog(page);
  await page.goto(baseUrl + TWO_WAY);
  await page.fill('#urlServer', url);
  await clickWhenBound(page, '#connectBtn');
  await page.waitForFunction(() => ['ESTABLISHED', 'FAILED', 'DISCONNECTED'].includes(document.querySelector('#connectStatus')?.textContent ?? ''), undefined, { timeout: 20_000 });
  return { page, status: (await page.textContent('#connectStatus'))!, statuses };
}

describe('access control', () => {
  let ns: NetNamespace;
  let hooked: RelayProcess;
  let tokened: RelayProcess;
  let backend: HookBackendProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;

  beforeAll(async () => {
    ns = NetNamespace.create();
    backend = await HookBackendProcess.start(ns.hostAddress, HOOK_SECRET);
    [hooked, tokened] = await Promise.all([
      RelayProcess.start(ns, { SIPHON_REST_HOOKS_URL: backend.url, SIPHON_REST_HOOKS_SECRET: HOOK_SECRET }),
      RelayProcess.start(ns, { ...RelayProcess.slot(1), SIPHON_TOKEN_SECRET: TOKEN_SECRET, SIPHON_DEMO_STREAM: 'cam-demo', SIPHON_DEMO_CODEC: 'h264' }),
    ]);
    ({ browser, close: closeBrowser } = await launchBrowser(ns));
  });

  afterAll(async () => {
    await closeBrowser?.();
    await Promise.all([hooked?.stop(), tokened?.stop(), backend?.stop()]);
    ns?.destroySync();
  });

  describe('WCS REST hooks (relay H)', () => {
    it("a 403 to connect: the SDK's page never reaches ESTABLISHED; the backend got WCS's connect body, HMAC-signed", async () => {
      await backend.answer('connect', { status: 403 });
      const { page, status } = await connectTwoWay(browser, hooked.pageUrl, hooked.pageUrl.replace(/^http/, 'ws'));
      expect(['FAILED', 'DISCONNECTED']).toContain(status);
      const [call] = await backend.calls('connect');
      expect(call!.body).toMatchObject({ appKey: 'defaultApp', status: 'PENDING', nodeId: expect.stringContaining('@'), sessionId: expect.any(String), mediaProviders: expect.any(Array) });
      expect(call!.signed).toBe(true);
      expect(hooked.lines.some((l) => l.event === 'access.denied' && l.action === 'connect')).toBe(true);
      await page.close();
      await backend.answer('connect', null);
    });

    it('a refused publish: FAILED with the reason, no Janus handle left, the name still free; the next one publishes and the backend hears its statuses', async () => {
      const handles = await metric(hooked, 'siphon_janus_handles');
      await backend.answer('publishStream', { status: 403 });
      const refused = await openTwoWay(browser, hooked.pageUrl);
      await publishOn(refused.page, 'cam', 'FAILED');
      expect((await refused.statuses.waitFor('FAILED')).info).toBe('Forbidden: the backend refused publishStream (HTTP 403)');
      expect(await metric(hooked, 'siphon_janus_handles')).toBe(handles);
      expect(await streamNames(hooked)).not.toContain('cam');
      expect(await metric(hooked, 'siphon_access_decisions_total')).toBeGreaterThan(0);

      await backend.answer('publishStream', null);
      const allowed = await openTwoWay(browser, hooked.pageUrl);
      await publishOn(allowed.page, 'cam');
      expect(await streamNames(hooked)).toContain('cam');
      const [publish] = (await backend.calls('publishStream')).slice(-1);
      expect(publish!.body).toMatchObject({ name: 'cam', published: true, mediaProvider: 'WebRTC', appKey: 'defaultApp', hasVideo: true });
      expect(publish!.body).not.toHaveProperty('sdp');
      await expect.poll(async () => (await backend.calls('StreamStatusEvent')).some((c) => c.body.name === 'cam' && c.body.status === 'PUBLISHING')).toBe(true);
      await refused.page.close();
      await allowed.page.close();
      await expect.poll(() => streamNames(hooked)).not.toContain('cam');
    });

    it("restClientConfig OVERWRITE: the backend renames the stream, as WCS lets it", async () => {
      await backend.answer('connect', { status: 200, extra: { restClientConfig: { publishStream: { restPolicy: 'OVERWRITE', restOverwrite: 'name' } } } });
      await backend.answer('publishStream', { status: 200, extra: { name: 'renamed-by-backend' } });
      const { page } = await openTwoWay(browser, hooked.pageUrl);
      await publishOn(page, 'asked-for');
      expect(await streamNames(hooked)).toEqual(['renamed-by-backend']);
      await page.close();
      await backend.answer('connect', null);
      await backend.answer('publishStream', null);
      await expect.poll(() => streamNames(hooked)).toEqual([]);
    });

    it('backend refusing connections, then hanging: publishes refused within the 2 s timeout, one log line for the outage; an admitted viewer plays on and is admitted again', async () => {
      const source = await openTwoWay(browser, hooked.pageUrl);
      await publishOn(source.page, 'live');
      const viewer = await openPlayer(browser, hooked.pageUrl, 'live');
      const [duringRefusal, duringHang] = [await openTwoWay(browser, hooked.pageUrl), await openTwoWay(browser, hooked.pageUrl)];

      const port = backend.port;
      const outageAt = Date.now(); // before the stop: a status hook sent while it stops may be the first refused
      await backend.stop();
      for (let i = 0; i < 2; i++) { // connect is refused while the backend cannot say yes
        const attempt = await connectTwoWay(browser, hooked.pageUrl, hooked.pageUrl.replace(/^http/, 'ws'));
        expect(attempt.status).not.toBe('ESTABLISHED');
        await attempt.page.close();
      }
      await publishOn(duringRefusal.page, 'while-refused', 'FAILED');
      expect((await duringRefusal.statuses.waitFor('FAILED')).info).toMatch(/^Forbidden: the access backend is unavailable \(ECONNREFUSED\)/);

      const hangEverything = Object.fromEntries(['connect', 'publishStream', 'playStream', 'StreamStatusEvent', 'ConnectionStatusEvent'].map((m) => [m, 'hang' as const]));
      backend = await HookBackendProcess.start(ns.hostAddress, HOOK_SECRET, port, hangEverything);
      const askedAt = Date.now();
      await publishOn(duringHang.page, 'while-hanging', 'FAILED');
      expect(Date.now() - askedAt).toBeLessThan(4000); // the 2 s timeout, with room for a loaded machine
      expect((await duringHang.statuses.waitFor('FAILED')).info).toBe('Forbidden: the access backend is unavailable (no answer within 2000 ms)');

      const frames = await sampleFrames(viewer.page, 2);
      expect(frames.at(-1)!).toBeGreaterThan(frames[0]!);
      // A new WCS session cannot connect now (connect fails closed), but a play by a client the backend admitted to
      // this stream within the grace window is admitted again: here that browser over WHEP, after the 2 s timeout.
      const again = await openWhep(browser, hooked.pageUrl, `${hooked.pageUrl}/whep/live`);
      await expect.poll(() => framesDecoded(again.page), { timeout: 15_000 }).toBeGreaterThan(0);
      expect(hooked.lines.some((l) => l.event === 'access.denied' && l.protocol === 'whep')).toBe(false);
      // One line for the whole outage (refused connections, then a hang), however many requests it refused.
      const since = (event: string) => hooked.lines.filter((l) => l.event === event && Date.parse(String(l.t)) >= outageAt).length;
      expect(since('hooks.backend_down')).toBe(1);
      expect(since('access.denied')).toBeGreaterThanOrEqual(4);
      for (const m of Object.keys(hangEverything)) await backend.answer(m, null);
      for (const p of [source.page, viewer.page, duringRefusal.page, duringHang.page, again.page]) await p.close();
    });
  });

  describe('signed tokens (relay T)', () => {
    it('a token for cam-* publishes cam-1 from the SDK page (?token= on its URL) and is refused other', async () => {
      const camToken = await token('studio', [{ action: 'publish', stream: 'cam-*' }]);
      const { page, status } = await connectTwoWay(browser, tokened.pageUrl, `${tokened.pageUrl.replace(/^http/, 'ws')}/?token=${camToken}`);
      expect(status).toBe('ESTABLISHED');
      await publishOn(page, 'cam-1');
      expect(await streamNames(tokened)).toContain('cam-1');
      const other = await connectTwoWay(browser, tokened.pageUrl, `${tokened.pageUrl.replace(/^http/, 'ws')}/?token=${camToken}`);
      await publishOn(other.page, 'other', 'FAILED');
      expect(await streamNames(tokened)).not.toContain('other');
      expect(tokened.lines.some((l) => l.event === 'access.denied' && l.reason === 'the token does not allow publish of "other"')).toBe(true);
      expect(JSON.stringify(tokened.lines)).not.toContain(camToken);
      await other.page.close();
      // Without a token, playing is refused over the WCS API too.
      await openPlayer(browser, tokened.pageUrl, 'cam-1', 'FAILED').then((p) => p.page.close());
      await page.close();
    });

    it('WHIP and WHEP take it as Bearer: 401 with WWW-Authenticate without, 403 out of scope, media with it; another principal cannot touch the session', async () => {
      const publisher = await token('encoder', [{ action: 'publish', stream: 'cam-*' }]);
      const alice = await token('alice', [{ action: 'play', stream: 'cam-2' }]);
      const mallory = await token('mallory', [{ action: 'play', stream: 'cam-*' }]);
      const whip = await openWhip(browser, tokened.pageUrl, `${tokened.pageUrl}/whip/cam-2`, publisher);
      await expect.poll(() => streamNames(tokened), { timeout: 15_000 }).toContain('cam-2');

      const offer = { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'v=0\r\n' };
      const none = await fetch(`${tokened.url}/whep/cam-2`, offer);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="siphon", error="invalid_token"/);
      expect(await none.json()).toMatchObject({ error: 'unauthorized', message: 'a token is required' });
      const scoped = await fetch(`${tokened.url}/whep/cam-3`, { ...offer, headers: { ...offer.headers, authorization: `Bearer ${alice}` } });
      expect(scoped.status).toBe(403);
      expect(scoped.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);

      const viewer = await openWhep(browser, tokened.pageUrl, `${tokened.pageUrl}/whep/cam-2`, alice);
      await expect.poll(() => framesDecoded(viewer.page), { timeout: 15_000 }).toBeGreaterThan(0);
      const resource = new URL(await viewer.resource()).pathname;
      expect((await fetch(`${tokened.url}${resource}`, { method: 'DELETE' })).status).toBe(401);
      expect((await fetch(`${tokened.url}${resource}`, { method: 'DELETE', headers: { authorization: `Bearer ${mallory}` } })).status).toBe(403);
      expect(await metric(tokened, 'siphon_whep_sessions')).toBe(1);
      expect((await fetch(`${tokened.url}${resource}`, { method: 'DELETE', headers: { authorization: `Bearer ${alice}` } })).status).toBe(200);
      await viewer.page.close();
      await whip.page.close();
    });

    it('HLS: the playlist needs ?token= (401 without, 403 out of scope); hls.js and ffprobe play with it, the media under a session path', async () => {
      const viewerToken = await token('hls-viewer', [{ action: 'play', stream: 'cam-*' }]);
      const url = `${tokened.hlsUrl}/cam-demo/cam-demo.m3u8`;
      const none = await fetch(url);
      expect(none.status).toBe(401);
      expect(await none.json()).toMatchObject({ error: 'unauthorized', message: 'a token is required' });
      expect((await fetch(`${url}?token=${await token('elsewhere', [{ action: 'play', stream: 'other' }])}`)).status).toBe(403);

      const page = await openHlsPlayer(browser, tokened.pageUrl, 'cam-demo', true, 60_000, undefined, viewerToken);
      expect(page.url()).not.toContain(viewerToken); // taken out of the address bar by the page
      const frames = await hlsFrames(page);
      await expect.poll(() => hlsFrames(page), { timeout: 10_000 }).toBeGreaterThan(frames + 60); // 2 s of video: a few reloads
      expect((await hlsState(page)).errors).not.toContain('levelParsingError'); // the session path stays put across reloads
      const text = await (await fetch(`${url}?token=${viewerToken}`)).text();
      for (const uri of [...text.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!)) expect(uri).toMatch(/^\.\.\/s\/[^/]+\/cam-demo\//);
      const probe = JSON.parse(execFileSync('ip', ['netns', 'exec', ns.name, 'ffprobe', '-v', 'error', '-show_entries', 'stream=codec_type,codec_name', '-of', 'json',
        `${url}?token=${viewerToken}`], { encoding: 'utf8', timeout: 30_000 })) as { streams: { codec_type: string; codec_name: string }[] };
      expect(probe.streams.map((s) => `${s.codec_type}:${s.codec_name}`)).toContain('video:h264');
      expect(JSON.stringify(tokened.lines)).not.toContain(viewerToken);
      await page.close();
    });

    it('access ends with the token: a WCS publish and a WHEP play end within 1 s of its expiry; refreshed ones (sendData, PATCH) play on past theirs', async () => {
      const both = [{ action: 'publish', stream: 'cam-*' }, { action: 'play', stream: 'cam-*' }];
      // First the sessions that will be refreshed, on a short token, refreshed as soon as they run.
      const firstExp = inSeconds(12);
      const first = await token('short', both, firstExp);
      const refreshed = await connectTwoWay(browser, tokened.pageUrl, `${tokened.pageUrl.replace(/^http/, 'ws')}/?token=${first}`);
      await publishOn(refreshed.page, 'cam-refreshed');
      const whepRefreshed = await openWhep(browser, tokened.pageUrl, `${tokened.pageUrl}/whep/cam-refreshed`, first);
      const fresh = await token('short', both, inSeconds(90));
      const accepted = await refreshed.page.evaluate(async (t) => {
        const f = (window as unknown as { Flashphoner: { getSessions(): { sendData(d: unknown): Promise<unknown> }[] } }).Flashphoner;
        return f.getSessions()[0]!.sendData({ siphon: { token: t } }).then(() => true, () => false); // a key the app never sees
      }, fresh);
      expect(accepted).toBe(true);
      const resource = new URL(await whepRefreshed.resource()).pathname;
      const patch = await fetch(`${tokened.url}${resource}`, { method: 'PATCH', headers: { authorization: `Bearer ${fresh}`, 'content-type': 'application/trickle-ice-sdpfrag' }, body: 'a=end-of-candidates\r\n' });
      expect(patch.status).toBeLessThan(500);
      expect(Date.now()).toBeLessThan(firstExp * 1000); // refreshed in time (else the setup was too slow for this test)

      // Then the ones left to expire, on a token minted just before them.
      const exp = inSeconds(10);
      const short = await token('short', both, exp);
      const expiring = await connectTwoWay(browser, tokened.pageUrl, `${tokened.pageUrl.replace(/^http/, 'ws')}/?token=${short}`);
      expect(expiring.status, JSON.stringify(tokened.lines.filter((l) => /^(access|wcs)\./.test(l.event)).slice(-5))).toBe('ESTABLISHED');
      await publishOn(expiring.page, 'cam-expiring');
      const whep = await openWhep(browser, tokened.pageUrl, `${tokened.pageUrl}/whep/cam-refreshed`, short);
      expect(await metric(tokened, 'siphon_whep_sessions')).toBe(2);

      await expiring.statuses.waitFor('UNPUBLISHED', 'Access expired', 20_000);
      expect(Date.now() - exp * 1000).toBeLessThan(1500); // within 1 s of the expiry, with room for the page's own delay
      await expect.poll(() => streamNames(tokened), { timeout: 3000 }).not.toContain('cam-expiring');
      await expect.poll(() => metric(tokened, 'siphon_whep_sessions'), { timeout: 3000 }).toBe(1);
      // Past the first token's expiry too: the refreshed ones still run.
      await new Promise((r) => setTimeout(r, Math.max(0, firstExp * 1000 + 1000 - Date.now())));
      expect(await streamNames(tokened)).toContain('cam-refreshed');
      expect(await metric(tokened, 'siphon_whep_sessions')).toBe(1);
      const frames = await sampleFrames(whepRefreshed.page, 2);
      expect(frames.at(-1)!).toBeGreaterThan(frames[0]!);
      for (const p of [expiring.page, refreshed.page, whep.page, whepRefreshed.page]) await p.close();
    });

    it("the viewer page: its watch is refused without a token (before Janus sees it) and plays with one, which leaves the address bar", async () => {
      const viewer = await browser.newPage();
      const state = () => viewer.evaluate(() => (window as unknown as { siphonViewer: { status: string; framesDecoded: number } }).siphonViewer);
      await viewer.goto(`${tokened.pageUrl}/viewer.html?stream=cam-demo`);
      await expect.poll(async () => (await state()).status, { timeout: 15_000 }).toBe('refused');
      expect(await viewer.textContent('#detail')).toMatch(/Forbidden: a token is required/);
      const viewerToken = await token('page-viewer', [{ action: 'play', stream: 'cam-demo' }]);
      await viewer.goto(`${tokened.pageUrl}/viewer.html?stream=cam-demo&token=${viewerToken}`);
      await expect.poll(async () => (await state()).framesDecoded, { timeout: 15_000 }).toBeGreaterThan(0);
      expect(viewer.url()).not.toContain(viewerToken);
      expect(tokened.lines.some((l) => l.event === 'access.denied' && l.protocol === 'viewer')).toBe(true);
      await viewer.close();
    });
  });
});
