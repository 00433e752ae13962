/**
 * When a page's video showed each new frame (requestVideoFrameCallback), on the machine's clock so pages can be
 * compared: a test finds the longest stretch without a frame over a whole run, or around moments it marks (a token
 * refresh), and can tell a freeze every client saw at once (the source, or the machine's load) from one its own
 * client alone saw.
 */
import type { Page } from 'playwright-core';

interface Frames { times: number[] }

/** A stretch without a new frame, in ms since the epoch. */
export interface FrameGap { from: number; to: number }

/** Starts recording the page's `selector` video's frames. */
export async function watchFrameGaps(page: Page, selector = 'video'): Promise<void> {
  await page.waitForSelector(selector);
  await page.evaluate((sel) => {
    const w = window as unknown as { frameTimes: Frames };
    w.frameTimes = { times: [] };
    const video = document.querySelector(sel) as HTMLVideoElement;
    const tick = (now: number) => {
      w.frameTimes.times.push(performance.timeOrigin + now);
      video.requestVideoFrameCallback(tick);
    };
    video.requestVideoFrameCallback(tick);
  }, selector);
}

/** Every gap between frames longer than `overMs`, in order. */
export async function frameGaps(page: Page, overMs = 0): Promise<FrameGap[]> {
  const times = await page.evaluate(() => (window as unknown as { frameTimes: Frames }).frameTimes.times);
  const gaps: FrameGap[] = [];
  for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! > overMs) gaps.push({ from: times[i - 1]!, to: times[i]! });
  return gaps;
}

export const gapMs = (g: FrameGap) => Math.round(g.to - g.from);

/** The longest of `gaps`, 0 if none. */
export const longestMs = (gaps: FrameGap[]) => gaps.reduce((max, g) => Math.max(max, gapMs(g)), 0);

/** The gaps that overlap [mark - before, mark + after] for some mark (ms since the epoch). */
export const gapsAround = (gaps: FrameGap[], marks: number[], before = 500, after = 2000) =>
  gaps.filter((g) => marks.some((m) => g.to >= m - before && g.from <= m + after));

/** Whether one of `others` lasting at least `minMs` overlaps `gap`, or comes within `slackMs` of it. */
export const sharedWith = (gap: FrameGap, others: FrameGap[], minMs: number, slackMs = 0) =>
  others.some((o) => gapMs(o) >= minMs && o.to >= gap.from - slackMs && o.from <= gap.to + slackMs);
