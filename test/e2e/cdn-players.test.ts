/**
 * Players that go through the edge, in Chromium, with relays that joined it: a WHEP player asking a relay that lacks
 * the stream directly plays there (the relay asks the edge for a copy of it); the viewer page sent by the edge to a
 * relay that lacks the stream plays an on-demand copy, and when that relay is SIGKILLed it asks the edge again by
 * itself and plays on another; medooze's WHEPClient posting to the edge's `/whep/<name>` is redirected (307) to a
 * relay and plays; hls.js plays the edge's `/hls/` route; the SDK's Player page at a relay that lacks the stream plays
 * there, and once it leaves, the copy idles out, and hls.js sent by the edge to that relay's region gets a new copy
 * there. Relay a is the origin (an H.264 demo, so HLS passes it).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { EdgeProcess } from '../harness/edge-process.ts';
import { launchBrowser } from '../harness/browser.ts';
import { viewerFrames } from '../harness/viewer-page.ts';
import { openWhep, whepFirstFrameMs } from '../harness/whep-page.ts';
import { hlsFrames, openHlsPlayer } from '../harness/hls-page.ts';
import { openPlayer } from '../harness/sdk-pages.ts';
import { framesDecoded } from '../harness/browser.ts';

const JOIN_TOKEN = 'cdn-players-join';
const EDGE = 'http://127.0.0.1:8787'; // as the browser in the namespace reaches it

describe('players through the edge', () => {
  let ns: NetNamespace;
  let origin: RelayProcess;
  let edge: EdgeProcess;
  let browser: Browser;
  let closeBrowser = async () => undefined as unknown;
  const members = new Map<string, RelayProcess>();

  beforeAll(async () => {
    ns = NetNamespace.create();
    origin = await RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'demo', SIPHON_DEMO_CODEC: 'h264', SIPHON_DEMO_KBPS: '400', SIPHON_DEMO_SIZE: '320x180' });
    edge = await EdgeProcess.start(ns, { RELAYS: '[]', RELAY_JOIN_TOKEN: JOIN_TOKEN, HEARTBEAT_SECONDS: '1', MEMBER_EXPIRE_SECONDS: '3', IDLE_SECONDS: '2' });
    const started = await Promise.all(['r1', 'r2', 'r3'].map((id, i) => {
      const slot = RelayProcess.slot(i + 1);
      return RelayProcess.start(ns, { ...slot, SIPHON_EDGE_URL: EDGE, SIPHON_EDGE_JOIN_TOKEN: JOIN_TOKEN, SIPHON_RELAY_ID: id, SIPHON_REGION: id,
        SIPHON_PUBLIC_URL: `http://127.0.0.1:${slot.SIPHON_WS_PORT}` });
    }));
    started.forEach((r, i) => members.set(`r${i + 1}`, r));
    await Promise.all(started.map((r) => r.waitFor((l) => l.event === 'edge_link.state' && l.to === 'member', 10_000)));
    ({ browser, close: closeBrowser } = await launchBrowser(ns));
  });

  afterAll(async () => {
    await closeBrowser();
    await Promise.all([...members.values()].map((r) => r.stop()));
    await edge?.stop();
    await origin?.stop();
    ns?.destroySync();
  });

  const root = async () => {
    const res = await fetch(`${edge.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: 'ws://127.0.0.1:8080', remoteStreamName: 'demo', localStreamName: 'cdnp' }) });
    expect(res.status).toBe(200);
    const relay = (await res.json() as { relay: string }).relay;
    await expect.poll(async () => ((await (await fetch(`${edge.url}/rest-api/pull/find_all`)).json()) as { status: string }[])[0]?.status, { timeout: 15_000 }).toBe('PLAYING');
    return relay;
  };

  let holder = '';
  let away = '';

  it('a WHEP player asking a relay that lacks the stream plays there: the relay gets a copy from the edge first', async () => {
    holder = await root();
    away = ['r1', 'r2'].find((r) => r !== holder) ?? 'r3';
    const relay = members.get(away)!;
    const whep = await openWhep(browser, relay.pageUrl, `${relay.pageUrl}/whep/cdnp`);
    expect(await whepFirstFrameMs(whep, 15_000)).toBeGreaterThan(0);
    const demanded = await relay.waitFor((l) => l.event === 'edge_link.demanded' && l.stream === 'cdnp');
    expect(demanded.parent).toBe(holder);
    await whep.page.close();
    const missing = await fetch(`${relay.url}/whep/no-such-stream`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'v=0\r\n' });
    expect(missing.status).toBe(404); // the edge has no such pull either: said so, nothing started
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
  });

  it('the viewer page plays a copy on the relay the edge picks, and when that relay dies, asks the edge again and plays on another', async () => {
    const page: Page = await browser.newPage();
    await page.goto(`${EDGE}/rest-api/play/cdnp?proto=webrtc&region=${away}`);
    expect(page.url()).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${new URL(members.get(away)!.url).port}/viewer\\.html\\?stream=cdnp&edge=`));
    await expect.poll(() => viewerFrames(page), { timeout: 15_000 }).toBeGreaterThan(10);
    const relay = members.get(away)!;
    relay.child.kill('SIGKILL');
    await relay.exited;
    members.delete(away);
    const before = await viewerFrames(page);
    // What a person sees: the picture moving again, through the other relay, within 5 s of the relay's death.
    await expect.poll(async () => (await viewerFrames(page)) - before, { timeout: 5_000 }).toBeGreaterThan(10);
    await page.close();
  });

  it('a WHEP client posting to the edge is redirected to a relay and plays; hls.js plays through the edge\'s cache', async () => {
    const whep = await openWhep(browser, members.values().next().value!.pageUrl, `${EDGE}/whep/cdnp`);
    expect(await whepFirstFrameMs(whep, 15_000)).toBeGreaterThan(0);
    expect(await whep.resource()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/whep\/cdnp\//);
    await whep.page.close();
    const hls = await openHlsPlayer(browser, members.values().next().value!.pageUrl, 'cdnp', false, 30_000, `${EDGE}/hls/cdnp/cdnp.m3u8`);
    await expect.poll(() => hlsFrames(hls), { timeout: 15_000 }).toBeGreaterThan(10);
    await hls.close();
  });

  it('the SDK Player at a relay that lacks the stream plays there; after it leaves the copy idles out, and hls.js sent there by the edge gets a new one', async () => {
    const spare = ['r1', 'r2', 'r3'].find((r) => r !== holder && members.has(r) && r !== away)!;
    const relay = members.get(spare)!;
    const player = await openPlayer(browser, relay.pageUrl, 'cdnp');
    await expect.poll(() => framesDecoded(player.page), { timeout: 15_000 }).toBeGreaterThan(10);
    await relay.waitFor((l) => l.event === 'edge_link.demanded' && l.stream === 'cdnp');
    await player.page.close();
    await relay.waitFor((l) => l.event === 'pull.state' && l.stream === 'cdnp' && l.to === 'TERMINATED', 15_000); // idle: dropped by the edge
    const res = await fetch(`${edge.url}/rest-api/play/cdnp?proto=hls&region=${spare}`, { redirect: 'manual' });
    expect(res.status).toBe(307);
    expect(await res.json()).toMatchObject({ relay: spare, onDemand: true });
    const hls = await openHlsPlayer(browser, relay.pageUrl, 'cdnp', true, 30_000, res.headers.get('location')!);
    await expect.poll(() => hlsFrames(hls), { timeout: 15_000 }).toBeGreaterThan(10);
    await hls.close();
  });
});
