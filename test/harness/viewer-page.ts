/** Siphon's own viewer page, read the way a person watches it. */
import type { Browser, Page } from 'playwright-core';
import { textIs } from './sdk-pages.ts';

interface ViewerState { status: string; framesDecoded: number; reconnects: number; firstFrameMs: number | null }

export const viewerState = (p: Page) => p.evaluate(() => (window as unknown as { siphonViewer: ViewerState }).siphonViewer);
export const viewerFrames = async (p: Page) => (await viewerState(p)).framesDecoded;

export function openViewer(browser: Browser, baseUrl: string, stream: string): Promise<Page> {
  return openViewerAt(browser, `${baseUrl}/viewer.html?stream=${encodeURIComponent(stream)}`);
}

/** Opens the viewer at a full URL and waits until it plays (status "playing", frames decoded). */
export async function openViewerAt(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(url);
  await textIs(page, '#status', 'playing', 30_000);
  await page.waitForFunction(() => (window as unknown as { siphonViewer: ViewerState }).siphonViewer.framesDecoded > 0);
  return page;
}
