/**
 * When a page's video showed each new frame (requestVideoFrameCallback), so a test can find the longest stretch
 * without one: over a whole run, or around moments it marks (a token refresh), apart from what the load of a busy
 * machine does at other times.
 */
import type { Page } from 'playwright-core';

interface Frames { times: number[] }

/** Starts recording the page's `selector` video's frames. */
export async function watchFrameGaps(page: Page, selector = 'video'): Promise<void> {
  await page.waitForSelector(selector);
  await page.evaluate((sel) => {
    const w = window as unknown as { frameTimes: Frames };
    w.frameTimes = { times: [] };
    const video = document.querySelector(sel) as HTMLVideoElement;
    const tick = (now: number) => {
      w.frameTimes.times.push(now);
      video.requestVideoFrameCallback(tick);
    };
    video.requestVideoFrameCallback(tick);
  }, selector);
}

/** The page's clock now, to mark a moment (its frames are on the same clock). */
export const pageNow = (page: Page) => page.evaluate(() => performance.now());

/**
 * The longest gap between frames, over the whole recording, or only the gaps that overlap [mark - before, mark + after]
 * for some mark.
 */
export async function maxFrameGapMs(page: Page, marks?: number[], before = 500, after = 2000): Promise<number> {
  const times = await page.evaluate(() => (window as unknown as { frameTimes: Frames }).frameTimes.times);
  let max = 0;
  for (let i = 1; i < times.length; i++) {
    const [a, b] = [times[i - 1]!, times[i]!];
    if (marks && !marks.some((m) => b >= m - before && a <= m + after)) continue;
    max = Math.max(max, b - a);
  }
  return Math.round(max);
}
