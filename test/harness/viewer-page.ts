/** Siphon's own viewer page, read the way a person watches it. */
import type { Browser, Page } from 'playwright-core';
import { textIs } from './sdk-pages.ts';

interface ViewerState { status: string; framesDecoded: number; reconnects: number; firstFrameMs: number | null }

export const viewerState = (p: Page) => p.evaluate(() => (window as unknown as { siphonViewer: ViewerState }).siphonViewer);
export const viewerFrames = async (p: Page) => (await viewerState(p)).framesDecoded;

export async function openViewer(browser: Browser, baseUrl: string, stream: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${baseUrl}/viewer.html?stream=${encodeURIComponent(stream)}`);
  await textIs(page, '#status', 'playing', 30_000);
  await page.waitForFunction(() => (window as unknown as { siphonViewer: ViewerState }).siphonViewer.framesDecoded > 0);
  return page;
}
