/** The longest stretch a page's video went without a new frame, as a viewer sees it (requestVideoFrameCallback). */
import type { Page } from 'playwright-core';

interface Gaps { last: number; max: number }

/** Starts watching the page's `selector` video; `maxFrameGapMs` reads the longest gap since. */
export async function watchFrameGaps(page: Page, selector = 'video'): Promise<void> {
  await page.waitForSelector(selector);
  await page.evaluate((sel) => {
    const w = window as unknown as { frameGaps: Gaps };
    w.frameGaps = { last: 0, max: 0 };
    const video = document.querySelector(sel) as HTMLVideoElement;
    const tick = (now: number) => {
      const g = w.frameGaps;
      if (g.last) g.max = Math.max(g.max, now - g.last);
      g.last = now;
      video.requestVideoFrameCallback(tick);
    };
    video.requestVideoFrameCallback(tick);
  }, selector);
}

export const maxFrameGapMs = (page: Page) => page.evaluate(() => Math.round((window as unknown as { frameGaps: Gaps }).frameGaps.max));
