import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { installFrameCounter, launchBrowser, sampleFrames } from '../harness/browser.ts';

const TWO_WAY = '/client2/examples/demo/streaming/two_way_streaming/two_way_streaming.html';
const PLAYER = '/client2/examples/demo/streaming/player/player.html';

describe('the official SDK pages against one relay', () => {
  let ns: NetNamespace;
  let relay: RelayProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;

  beforeAll(async () => {
    ns = NetNamespace.create();
    relay = await RelayProcess.start(ns);
    ({ browser, close: closeBrowser } = await launchBrowser(ns));
  });

  afterAll(async () => {
    await closeBrowser?.();
    await relay?.stop();
    ns?.destroySync();
  });

  async function publish(name: string): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(relay.pageUrl + TWO_WAY);
    await page.click('#connectBtn');
    await page.waitForFunction(() => document.getElementById('connectStatus')?.textContent === 'ESTABLISHED');
    await page.fill('#publishStream', name);
    await page.click('#publishBtn');
    await page.waitForFunction(() => document.getElementById('publishStatus')?.textContent === 'PUBLISHING', undefined, { timeout: 20_000 });
    return page;
  }

  it('publishes with Two Way Streaming and plays with the Player page, frames rising', async () => {
    const pub = await publish('e2e-1');
    expect(await pub.textContent('#publishStatus')).toBe('PUBLISHING');
    const player = await browser.newPage();
    await installFrameCounter(player);
    await player.goto(`${relay.pageUrl}${PLAYER}?streamName=e2e-1`);
    await player.click('#playBtn');
    await player.waitForFunction(() => document.getElementById('status')?.textContent === 'PLAYING', undefined, { timeout: 20_000 });
    const samples = await sampleFrames(player, 3);
    expect(samples.at(-1)!).toBeGreaterThan(samples[0]!);
    expect(samples[2]! - samples[0]!).toBeGreaterThan(10);
  });
});
