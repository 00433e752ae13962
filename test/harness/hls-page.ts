/** Siphon's hls.js player page (relay/web/hls.html) and the SDK's own hls-js-player page, read the way a person watches them. */
import type { Browser, Page } from 'playwright-core';
import { textIs } from './sdk-pages.ts';

export interface HlsPageState {
  status: string; latency: number | null; buffer: number; kbps: number; framesDecoded: number;
  firstFrameMs: number | null; discontinuities: number; errors: string[]; playingDate: number | null;
}

export const SDK_HLS_JS_PLAYER = '/client2/examples/demo/streaming/hls-js-player/hls-js-player.html';

export const hlsState = (p: Page) => p.evaluate(() => (window as unknown as { siphonHls: HlsPageState }).siphonHls);
export const hlsFrames = async (p: Page) => (await hlsState(p)).framesDecoded;

/** Opens relay/web/hls.html for `stream` (or the playlist at `src`, another server's) and waits until it plays. */
export async function openHlsPlayer(browser: Browser, baseUrl: string, stream: string, ll: boolean, timeout = 30_000, src?: string, token?: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${baseUrl}/hls.html?stream=${encodeURIComponent(stream)}${ll ? '&ll=1' : ''}${src ? `&src=${encodeURIComponent(src)}` : ''}${token ? `&token=${encodeURIComponent(token)}` : ''}`);
  await textIs(page, '#status', 'playing', timeout);
  return page;
}

/** The SDK's hls-js-player page as a user drives it: `?llhls=true` or not, server URL, stream name, Play. */
export async function openSdkHlsPlayer(browser: Browser, baseUrl: string, hlsServer: string, stream: string, ll: boolean): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${baseUrl}${SDK_HLS_JS_PLAYER}${ll ? '?llhls=true' : ''}`);
  await page.waitForSelector('#urlServer');
  if (await page.isChecked('#llHlsEnabled') !== ll) throw new Error(`the SDK page's LL-HLS box is not ${ll ? 'checked' : 'clear'}`);
  await page.fill('#urlServer', hlsServer);
  await page.fill('#playStream', stream);
  await page.click('#applyBtn');
  await page.waitForFunction(() => ((document.getElementById('remoteVideo') as HTMLVideoElement | null)
    ?.getVideoPlaybackQuality().totalVideoFrames ?? 0) > 0, undefined, { timeout: 30_000 });
  return page;
}

export const sdkHlsFrames = (p: Page) => p.evaluate(() =>
  (document.getElementById('remoteVideo') as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames);
