/**
 * WCS's web console (the SDK's own `console.html`, served by relay B) managing two relays as WCS nodes: both added
 * and shown alive with their figures (from `/?action=stat`), A's demo pulled into B from the page's Pull dialog and
 * listed PLAYING among B's pulled streams, then terminated from its button. The SDK REST client's own parser reads
 * the statistics page in the page, and its numbers move when a stream is played.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { launchBrowser } from '../harness/browser.ts';
import { clickWhenBound } from '../harness/sdk-pages.ts';

const CONSOLE = '/client2/examples/demo/streaming/console/console.html';

type Stat = Record<string, Record<string, string>>;
/** The console names a node's elements by its address without dots and colons: ids a `#` selector cannot start with a digit. */
const byId = (id: string) => `[id="${id}"]`;

describe("WCS's web console against two relays", () => {
  let ns: NetNamespace;
  let a: RelayProcess;
  let b: RelayProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;

  beforeAll(async () => {
    ns = NetNamespace.create();
    [a, b] = await Promise.all([RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'demo' }), RelayProcess.start(ns, RelayProcess.slot(1))]);
    ({ browser, close: closeBrowser } = await launchBrowser(ns));
    page = await browser.newPage();
    await page.goto(b.pageUrl + CONSOLE);
  });

  afterAll(async () => {
    await closeBrowser?.();
    await Promise.all([a?.stop(), b?.stop()]);
    ns?.destroySync();
  });

  /** What the SDK's REST client makes of a node's statistics page, run in the page. */
  const poll = (node: string) => page.evaluate(async (url) => {
    const api = (window as unknown as { FlashphonerRestApi: { instance(u: string, c: string): { stat: { poll(): Promise<Stat> } } } }).FlashphonerRestApi;
    return api.instance(url, url).stat.poll();
  }, node) as Promise<Stat>;
  const pulledOnB = async () => {
    const res = await fetch(`${b.url}/rest-api/pull/find_all`);
    return res.status === 404 ? [] : (await res.json() as { localStreamName: string; status: string }[]).map((p) => `${p.localStreamName}:${p.status}`);
  };

  it('adds both relays as nodes (alive, with figures), pulls A\'s demo into B from the Pull dialog, lists it PLAYING, terminates it', async () => {
    for (const node of ['127.0.0.1:8080', '127.0.0.1:9080']) {
      await page.fill('#nodeIp', node);
      await clickWhenBound(page, '#addNodeFormSubmit');
    }
    for (const id of ['1270018080', '1270019080']) {
      await page.waitForSelector(`${byId(id)}.list-group-item-success`, { timeout: 20_000 });
      await page.waitForSelector(byId(`${id}-state`), { timeout: 5000 });
      expect(Number(await page.textContent(byId(`${id}-state-threads`)))).toBeGreaterThan(0);
      expect(await page.textContent(byId(`${id}-state-mem`))).toMatch(/^\d+$/); // the host's memory in use, not NaN
    }
    const before = await poll('http://127.0.0.1:8080');
    expect(before.connection).toMatchObject({ connections: expect.stringMatching(/^\d+$/), connections_websocket: expect.stringMatching(/^\d+$/) });
    expect(Number(before.core!.core_threads)).toBeGreaterThan(0);
    expect(before.stream!.streams_webrtc_out).toBe('0');
    expect((await poll('http://127.0.0.1:9080')).stream).toMatchObject({ streams: '0', streams_webrtc_in: '0' });

    await page.click(byId('1270019080')); // B becomes the active node
    await page.waitForSelector('#nodeControls:not(.hidden)');
    await page.click('#pullStreamModalBtn');
    await page.waitForSelector('#pullModal.in'); // Bootstrap 3's open modal
    await page.fill('#pullUrl', 'ws://127.0.0.1:8080');
    await page.fill('#pullLocalName', 'demo');
    await page.fill('#pullRemoteName', 'demo');
    await page.click('#pullStream');
    await page.waitForSelector('#pullModal', { state: 'hidden' });
    await expect.poll(pulledOnB, { timeout: 20_000 }).toEqual(['demo:PLAYING']);

    await page.selectOption('#streamsTableInfoType', 'pulled');
    await page.click('#streamsTableInfoTypeBtn');
    const row = page.locator('#streamsTableBody tr', { hasText: 'demo->demo' });
    await expect.poll(async () => (await row.count()) > 0 ? row.locator('td').nth(2).textContent() : null, { timeout: 15_000 }).toBe('PLAYING');
    // A plays its demo to B now: the statistics page, as the SDK reads it, says so.
    await expect.poll(async () => (await poll('http://127.0.0.1:8080')).stream!.streams_webrtc_out, { timeout: 10_000 }).toBe('1');
    expect((await poll('http://127.0.0.1:9080')).pull).toMatchObject({ pulls: '1', pulls_playing: '1' });
    expect((await poll('http://127.0.0.1:9080')).stream).toMatchObject({ streams: '1', streams_webrtc_in: '1', streams_pulled_playing: '1' });
    // The JSON page and /metrics say the same.
    const [stat, metrics] = await Promise.all([
      fetch(`${a.url}/?action=stat&format=json`).then((r) => r.json() as Promise<Record<string, Record<string, number>>>),
      fetch(`${a.url}/metrics`).then((r) => r.text())]);
    const metric = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)![1]);
    expect(stat.streams_stats!.streams_webrtc_out).toBe(metric('siphon_players') + metric('siphon_viewers'));
    expect(stat.connections_stats!.connections_websocket).toBe(metric('siphon_wcs_sessions') + metric('siphon_viewers'));
    expect(stat.janus_stats!.janus_up).toBe(metric('siphon_janus_up'));

    await row.locator('button', { hasText: 'TERMINATE' }).click();
    await expect.poll(pulledOnB, { timeout: 10_000 }).toEqual([]);
    await expect.poll(async () => (await poll('http://127.0.0.1:8080')).stream!.streams_webrtc_out, { timeout: 10_000 }).toBe('0');
  });

  it('routes the console asks for that Siphon does not offer answer a JSON 404, and the page goes on', async () => {
    const res = await fetch(`${b.url}/rest-api/rtsp/find_all`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found' });
    await page.selectOption('#streamsTableInfoType', 'rtsp');
    await page.click('#streamsTableInfoTypeBtn');
    await page.selectOption('#streamsTableInfoType', 'all');
    await page.click('#streamsTableInfoTypeBtn');
    await page.waitForSelector(`${byId('1270019080')}.list-group-item-success`);
  });
});
