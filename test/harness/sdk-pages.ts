/** Drives the official @flashphoner/websdk demo pages the way a person would: fill, click, read the page. */
import type { Browser, Page } from 'playwright-core';
import { installFrameCounter } from './browser.ts';

export const TWO_WAY = '/client2/examples/demo/streaming/two_way_streaming/two_way_streaming.html';
export const PLAYER = '/client2/examples/demo/streaming/player/player.html';

export interface StatusFrame { mediaSessionId: string; status: string; info: string; name?: string }

/** Every notifyStreamStatusEvent a page receives, in order, read off the page's own WebSocket. */
export class StatusLog {
  readonly frames: StatusFrame[] = [];
  private waiters: { match: (f: StatusFrame) => boolean; resolve: (f: StatusFrame) => void }[] = [];

  constructor(page: Page) {
    page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
      let f: { message?: string; data?: StatusFrame[] };
      try { f = JSON.parse(String(payload)); } catch { return; }
      if (f.message !== 'notifyStreamStatusEvent' || !f.data?.[0]) return;
      const frame = f.data[0];
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => (w.match(frame) ? (w.resolve(frame), false) : true));
    }));
  }

  /** Resolves with the first status frame matching `status` (and `info` when given), past or future. */
  waitFor(status: string, info?: string, timeoutMs = 15_000): Promise<StatusFrame> {
    const match = (f: StatusFrame) => f.status === status && (info === undefined || f.info === info);
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(
        `no ${status} ${info ?? ''} status within ${timeoutMs} ms; saw ${JSON.stringify(this.frames.map((f) => [f.status, f.info]))}`)), timeoutMs);
      this.waiters.push({ match, resolve: (f) => { clearTimeout(timer); resolve(f); } });
    });
  }
}

/** Waits for `selector` to read `text`; a timeout says what it read instead and what the page logged, for the next person. */
export async function textIs(page: Page, selector: string, text: string, timeout = 20_000, more?: () => string): Promise<void> {
  const logged: string[] = [];
  const onConsole = (m: { type(): string; text(): string }) => { if (m.type() === 'error' || m.type() === 'warning') logged.push(m.text()); };
  page.on('console', onConsole);
  try {
    await page.waitForFunction(([sel, want]) => document.querySelector(sel!)?.textContent === want, [selector, text], { timeout });
  } catch (err) {
    const now = await page.textContent(selector).catch(() => '(page gone)');
    throw new Error(`${selector} did not read "${text}" within ${timeout} ms: it reads "${now}"; page errors: ${JSON.stringify(logged.slice(-5))}`
      + (more ? `; ${more()}` : ''),
      { cause: err });
  } finally {
    page.off('console', onConsole);
  }
}

/**
 * Clicks a demo-page button once the page's own jQuery click handler is on it. The buttons are enabled in
 * the HTML before `init_page()` binds them, so a click that comes first is silently lost (the page then
 * waits forever, reading "").
 */
export async function clickWhenBound(page: Page, selector: string): Promise<void> {
  // Generous: the first browser suite of a run starts while vitest is still starting workerd and transforming
  // every project's files on the same 2 cores; twice a page's init then took over 20 s.
  const timeout = 45_000;
  try {
    await page.waitForFunction((sel) => {
      const jq = (window as unknown as { $?: { _data?: (el: Element, key: string) => { click?: unknown[] } | undefined } }).$;
      const el = document.querySelector(sel);
      return !!el && !(el as HTMLButtonElement).disabled && !!jq?._data?.(el, 'events')?.click?.length;
    }, selector, { timeout });
  } catch (err) {
    const notice = await page.textContent('#notifyFlash').catch(() => null);
    throw new Error(`${selector} never got the page's click handler within ${timeout / 1000} s; the page says "${notice ?? ''}"; `
      + `trouble: ${troubleOf(page)}`, { cause: err });
  }
  await page.click(selector);
}

const troubles = new WeakMap<Page, string[]>();

/** Records what went wrong on a page from its start (script errors, failed or refused requests) for failure messages. */
function watchTrouble(page: Page): void {
  const seen: string[] = [];
  troubles.set(page, seen);
  page.on('pageerror', (err) => seen.push(`error: ${err.message}`));
  page.on('requestfailed', (r) => seen.push(`failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => { if (r.status() >= 400) seen.push(`${r.status()}: ${r.url()}`); });
}

const troubleOf = (page: Page) => JSON.stringify(troubles.get(page)?.slice(-8) ?? []);

/** What the page's WebSockets did, for a failure message: whether one opened, frames each way, how it closed. */
function watchSockets(page: Page): () => string {
  const seen: { url: string; sent: number; received: number; closed: boolean }[] = [];
  page.on('websocket', (ws) => {
    const s = { url: ws.url(), sent: 0, received: 0, closed: false };
    seen.push(s);
    ws.on('framesent', () => { s.sent += 1; });
    ws.on('framereceived', () => { s.received += 1; });
    ws.on('close', () => { s.closed = true; });
  });
  return () => (seen.length ? JSON.stringify(seen) : 'the page opened no WebSocket');
}

export async function openTwoWay(browser: Browser, baseUrl: string): Promise<{ page: Page; statuses: StatusLog }> {
  const page = await browser.newPage();
  watchTrouble(page);
  const statuses = new StatusLog(page);
  const sockets = watchSockets(page);
  await installFrameCounter(page);
  await page.goto(baseUrl + TWO_WAY);
  await page.fill('#urlServer', baseUrl.replace(/^http/, 'ws'));
  await clickWhenBound(page, '#connectBtn');
  await textIs(page, '#connectStatus', 'ESTABLISHED', 20_000, sockets);
  return { page, statuses };
}

export async function publishOn(page: Page, name: string, expectStatus = 'PUBLISHING'): Promise<void> {
  await page.fill('#publishStream', name);
  await clickWhenBound(page, '#publishBtn');
  await textIs(page, '#publishStatus', expectStatus);
}

export async function openPlayer(browser: Browser, baseUrl: string, name: string, expectStatus = 'PLAYING')
  : Promise<{ page: Page; statuses: StatusLog }> {
  const page = await browser.newPage();
  watchTrouble(page);
  const statuses = new StatusLog(page);
  await installFrameCounter(page);
  const sockets = watchSockets(page);
  await page.goto(`${baseUrl}${PLAYER}?streamName=${encodeURIComponent(name)}`);
  await page.fill('#url', baseUrl.replace(/^http/, 'ws'));
  await clickWhenBound(page, '#playBtn');
  await textIs(page, '#status', expectStatus, 20_000, sockets);
  return { page, statuses };
}

