/**
 * What a WCS operator's tools do against a relay, in Chromium with the SDK's own pages and REST client: the
 * stream-snapshot page publishes its camera and shows the snapshot it asks for; /rest-api/stream/snapshot answers
 * on WCS's REST port 8081 (the demo stream), one decode for callers at once; the SDK REST client's stream.find with metrics; the web
 * console given the relay's address without a port (WCS's REST port 8081, Websocket 8080) lists its streams.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { launchBrowser } from '../harness/browser.ts';
import { clickWhenBound, textIs } from '../harness/sdk-pages.ts';

const SNAPSHOT_PAGE = '/client2/examples/demo/streaming/stream-snapshot/stream-snapshot.html';
const CONSOLE = '/client2/examples/demo/streaming/console/console.html';

/** A PNG's size from its IHDR chunk. */
const pngSize = (png: Buffer) => ({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) });

describe('WCS parity in Chromium', () => {
  let ns: NetNamespace;
  let relay: RelayProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let publisher: Page;
  const rest = () => `http://${ns.address}:8081`; // WCS's REST port, from the test process

  beforeAll(async () => {
    ns = NetNamespace.create();
    relay = await RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'demo', SIPHON_LOG_LEVEL: 'info' });
    ({ browser, close: closeBrowser } = await launchBrowser(ns));
  });

  afterAll(async () => {
    await closeBrowser?.();
    await relay?.stop();
    ns?.destroySync();
  });

  it("the SDK's stream-snapshot page publishes its camera and shows the snapshot it takes", async () => {
    publisher = await browser.newPage();
    await publisher.goto(relay.pageUrl + SNAPSHOT_PAGE);
    await publisher.fill('#url', 'ws://127.0.0.1:8080/snapcam');
    await clickWhenBound(publisher, '#publishBtn');
    await textIs(publisher, '#status', 'PUBLISHING');
    await clickWhenBound(publisher, '#snapshotBtn');
    // The page clears its status ("processing...") on SNAPSHOT_COMPLETE and puts the picture in #dynImg.
    await publisher.waitForFunction(() => {
      const img = document.getElementById('dynImg') as HTMLImageElement;
      return img.src.startsWith('data:image/png;base64,') && img.complete && img.naturalWidth > 0;
    }, undefined, { timeout: 20_000 });
    expect(await publisher.textContent('#snapshotStatus')).toBe('');
    const shown = await publisher.evaluate(async () => {
      const img = document.getElementById('dynImg') as HTMLImageElement;
      await img.decode();
      const canvas = Object.assign(document.createElement('canvas'), { width: img.naturalWidth, height: img.naturalHeight });
      const g = canvas.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const px = g.getImageData(0, 0, canvas.width, canvas.height).data;
      const colours = new Set<number>();
      for (let i = 0; i < px.length; i += 4 * 97) colours.add((px[i]! << 16) | (px[i + 1]! << 8) | px[i + 2]!);
      return { src: img.src.slice(0, 22), width: img.naturalWidth, height: img.naturalHeight, colours: colours.size };
    });
    expect(shown.src).toBe('data:image/png;base64,');
    expect(shown.width).toBeGreaterThanOrEqual(320);
    expect(shown.height).toBeGreaterThanOrEqual(180);
    expect(shown.colours).toBeGreaterThan(10); // Chromium's fake camera picture, not a blank frame
  });

  it("/rest-api/stream/snapshot on WCS's REST port: callers at once share one decode, later ones within 3 s reuse it", async () => {
    const decodes = () => relay.lines.filter((l) => l.event === 'snapshot.taken' && l.stream === 'demo').length;
    const take = async () => {
      const answers = await Promise.all([1, 2, 3].map(() => fetch(`${rest()}/rest-api/stream/snapshot`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ streamName: 'demo' }) })));
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
      return Promise.all(answers.map(async (r) => ((await r.json()) as { data: string }).data));
    };
    const first = await take();
    expect(new Set(first).size).toBe(1);
    const png = Buffer.from(first[0]!, 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(pngSize(png)).toEqual({ width: 640, height: 360 }); // the demo stream's size
    await expect.poll(decodes).toBe(1); // its log line comes on the relay's stdout, apart from the HTTP answers
    expect(await take()).toEqual(first);
    expect(decodes()).toBe(1);
    const none = await fetch(`${rest()}/rest-api/stream/snapshot`, { method: 'POST', body: JSON.stringify({ streamName: 'nothing' }) });
    expect(none.status).toBe(404);
    expect(await none.json()).toMatchObject({ error: 'not_found' });
  });

  it("the SDK REST client's stream.find with metrics answers the stream's size, rates and codecs", async () => {
    const page = await browser.newPage();
    await page.goto(relay.pageUrl + CONSOLE); // a page that loads the SDK's REST client
    const rows = await page.evaluate(async () => {
      type Api = { stream: { find(id: string | null, name: string | null, published: boolean | null, metrics: boolean): Promise<Record<string, unknown>[]> } };
      const api = (window as unknown as { FlashphonerRestApi: { instance(u: string, c: string): Api } }).FlashphonerRestApi.instance('http://127.0.0.1:8081', 'http://127.0.0.1:8081');
      return api.stream.find(null, 'snapcam', true, true);
    });
    expect(rows).toHaveLength(1);
    const row = rows[0] as { name: string; mediaType: string; metrics: Record<string, number> };
    expect(row).toMatchObject({ name: 'snapcam', mediaType: 'publish', published: true });
    const png = Buffer.from((await (await fetch(`${rest()}/rest-api/stream/snapshot`, { method: 'POST', body: '{"streamName":"snapcam"}' })).json() as { data: string }).data, 'base64');
    // VP8: the size is read off its keyframes. Chromium may scale its encode down under load between the two
    // keyframes; the picture's shape stays.
    const size = pngSize(png);
    expect(row.metrics.VIDEO_WIDTH).toBeGreaterThan(0);
    expect(row.metrics.VIDEO_WIDTH! / row.metrics.VIDEO_HEIGHT!).toBeCloseTo(size.width / size.height, 1);
    expect(row.metrics.VIDEO_FPS).toBeGreaterThan(5);
    expect(row.metrics.VIDEO_RATE).toBeGreaterThan(10_000);
    expect(row.metrics.AUDIO_RATE).toBeGreaterThan(1000);
    expect(row.metrics.VIDEO_K_FRAMES).toBeGreaterThan(0);
    expect(row.metrics.VIDEO_CODEC).toBeGreaterThan(0);
    await page.close();
  });

  it('the web console given the relay without a port finds it on 8081, shows it alive and lists its stream', async () => {
    const page = await browser.newPage();
    await page.goto(relay.pageUrl + CONSOLE);
    await page.fill('#nodeIp', '127.0.0.1');
    await clickWhenBound(page, '#addNodeFormSubmit');
    await page.waitForSelector('[id="127001"].list-group-item-success', { timeout: 20_000 });
    expect(Number(await page.textContent('[id="127001-state-threads"]'))).toBeGreaterThan(0);
    await page.click('[id="127001"]');
    await page.waitForSelector('#nodeControls:not(.hidden)');
    await page.selectOption('#streamsTableInfoType', 'all');
    await page.click('#streamsTableInfoTypeBtn');
    await expect.poll(() => page.locator('#streamsTableBody tr', { hasText: 'snapcam' }).count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await page.close();
  });
});
