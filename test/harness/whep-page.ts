/**
 * Independent WHIP/WHEP clients in Chromium: medooze's WHEPClient and WHIPClient (npm `whip-whep`, not our
 * code), playing a relay's `/whep/<stream>` into a <video> or publishing the fake camera to `/whip/<stream>`,
 * the way a third-party player or encoder would.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { installFrameCounter } from './browser.ts';

const require = createRequire(import.meta.url);
// Each module's one `export` becomes a global, so a classic page can use it.
const WHEP_JS = readFileSync(require.resolve('whip-whep/whep.js'), 'utf8').replace('export class WHEPClient', 'window.WHEPClient = class WHEPClient');
const WHIP_JS = readFileSync(require.resolve('whip-whep/whip.js'), 'utf8').replace('export class WHIPClient', 'window.WHIPClient = class WHIPClient');

export interface WhepPage { page: Page; resource: () => Promise<string> }

/** Resolves with ms from the WHEP POST to the first painted frame, once there is one. */
export async function whepFirstFrameMs(p: WhepPage, timeout = 20_000): Promise<number> {
  await p.page.waitForFunction(() => (window as unknown as { whepFirstFrameMs?: number }).whepFirstFrameMs !== undefined, undefined, { timeout });
  return p.page.evaluate(() => (window as unknown as { whepFirstFrameMs: number }).whepFirstFrameMs);
}

/** Opens `pageUrl` (any page of the relay: same origin as the WHEP URL, or not: CORS is on) and starts viewing. */
export async function openWhep(browser: Browser, pageUrl: string, whepUrl: string, token?: string): Promise<WhepPage> {
  const page = await browser.newPage();
  await installFrameCounter(page);
  await page.goto(pageUrl);
  await page.addScriptTag({ content: WHEP_JS });
  await page.evaluate(async ([url, token]) => {
    const w = window as unknown as { WHEPClient: new () => { view(pc: RTCPeerConnection, url: string, token?: string): Promise<void>; stop(): Promise<void>; resourceURL?: URL }; whep: unknown };
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    document.body.append(video);
    pc.ontrack = (e) => { video.srcObject = e.streams[0] ?? new MediaStream([e.track]); };
    const client = new w.WHEPClient();
    w.whep = client;
    // From the POST to the first frame the page paints (what B9 measures).
    const startedAt = performance.now();
    video.requestVideoFrameCallback(() => { (window as unknown as { whepFirstFrameMs: number }).whepFirstFrameMs = performance.now() - startedAt; });
    await client.view(pc, url!, token);
  }, [whepUrl, token] as const);
  return {
    page,
    resource: () => page.evaluate(() => String((window as unknown as { whep: { resourceURL?: URL } }).whep.resourceURL ?? '')),
  };
}

/** The client's DELETE of its session. */
export const stopWhep = (p: WhepPage) => p.page.evaluate(() => (window as unknown as { whep: { stop(): Promise<void> } }).whep.stop());

/** Publishes Chromium's fake camera and microphone with WHIPClient; resolves once the relay has answered. */
export async function openWhip(browser: Browser, pageUrl: string, whipUrl: string, token?: string): Promise<WhepPage> {
  const page = await browser.newPage();
  await installFrameCounter(page);
  await page.goto(pageUrl);
  await page.addScriptTag({ content: WHIP_JS });
  await page.evaluate(async ([url, token]) => {
    const w = window as unknown as { WHIPClient: new () => { publish(pc: RTCPeerConnection, url: string, token?: string): Promise<void>; resourceURL?: URL }; whip: unknown };
    const media = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: true });
    const pc = new RTCPeerConnection();
    for (const track of media.getTracks()) pc.addTransceiver(track, { direction: 'sendonly' });
    const client = new w.WHIPClient();
    w.whip = client;
    await client.publish(pc, url!, token);
  }, [whipUrl, token] as const);
  return {
    page,
    resource: () => page.evaluate(() => String((window as unknown as { whip: { resourceURL?: URL } }).whip.resourceURL ?? '')),
  };
}
