/**
 * The official Web SDK demo pages against one relay in its own network namespace: publish, play,
 * Siphon's viewer, and the statuses and info strings the pages show.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { launchBrowser, pliReceived, sampleFrames } from '../harness/browser.ts';
import { openPlayer, openTwoWay, publishOn, textIs } from '../harness/sdk-pages.ts';

describe('SDK pages on one relay', () => {
  let ns: NetNamespace;
  let relay: RelayProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  const pages: Page[] = [];
  const track = <T extends { page: Page }>(x: T): T => { pages.push(x.page); return x; };

  beforeAll(async () => {
    ns = NetNamespace.create();
    relay = await RelayProcess.start(ns);
    ({ browser, close: closeBrowser } = await launchBrowser(ns));
  });

  afterEach(async () => {
    await Promise.all(pages.splice(0).map((p) => p.close().catch(() => undefined)));
  });

  afterAll(async () => {
    await closeBrowser?.();
    await relay?.stop();
    ns?.destroySync();
  });

  it('Two Way Streaming publishes (PUBLISHING) and the Player page plays it with frames rising for 2 s', async () => {
    const pub = track(await openTwoWay(browser, relay.pageUrl));
    await publishOn(pub.page, 'sdk-play');
    expect(await pub.page.textContent('#publishStatus')).toBe('PUBLISHING');
    const plisBefore = await pliReceived(pub.page);
    const player = track(await openPlayer(browser, relay.pageUrl, 'sdk-play'));
    expect(await player.page.textContent('#status')).toBe('PLAYING');
    // The player's join reached the publishing browser as a keyframe request.
    await expect.poll(() => pliReceived(pub.page)).toBeGreaterThan(plisBefore);
    const samples = await sampleFrames(player.page, 3);
    expect(samples[1]!).toBeGreaterThan(samples[0]!);
    expect(samples[3]!).toBeGreaterThan(samples[1]! + 20); // ~30 fps fake camera: frames keep coming
  });

  it('H264: a publisher that strips VP8/VP9/AV1 (SDK stripCodecs) is played as H264 by the Player page', async () => {
    const pub = track(await openTwoWay(browser, relay.pageUrl));
    await pub.page.evaluate(() => new Promise<void>((resolve, reject) => {
      const F = (window as unknown as { Flashphoner: any }).Flashphoner;
      const session = F.getSessions()[0];
      session.createStream({
        name: 'sdk-h264', display: document.getElementById('localVideo'), stripCodecs: 'VP8,VP9,AV1',
        cacheLocalResources: true, receiveVideo: false, receiveAudio: false,
      }).on(F.constants.STREAM_STATUS.PUBLISHING, () => resolve())
        .on(F.constants.STREAM_STATUS.FAILED, (s: { getInfo(): string }) => reject(new Error(s.getInfo()))).publish();
    }));
    const answered = await relay.waitFor((l) => l.event === 'publisher.answered' && l.stream === 'sdk-h264');
    expect(answered.codecs).toMatchObject({ video: 'H264', audio: 'OPUS' });
    const player = track(await openPlayer(browser, relay.pageUrl, 'sdk-h264'));
    const played = await relay.waitFor((l) => l.event === 'player.answered' && l.stream === 'sdk-h264');
    expect((played.codecs as string[]).some((c) => c.startsWith('H264/'))).toBe(true);
    const samples = await sampleFrames(player.page, 3);
    expect(samples[3]!).toBeGreaterThan(samples[1]!);
    expect(samples[1]!).toBeGreaterThan(samples[0]!);
  });

  it("Siphon's viewer page plays the stream from its mountpoint and the relay logs watch → first frame", async () => {
    const pub = track(await openTwoWay(browser, relay.pageUrl));
    await publishOn(pub.page, 'sdk-viewer');
    const plisBefore = await pliReceived(pub.page);
    const viewer = await browser.newPage();
    pages.push(viewer);
    await viewer.goto(`${relay.pageUrl}/viewer.html?stream=sdk-viewer`);
    await textIs(viewer, '#status', 'playing');
    const read = (p: Page) => p.evaluate(() => (window as unknown as { siphonViewer: { framesDecoded: number } }).siphonViewer.framesDecoded);
    await viewer.waitForFunction(() => (window as unknown as { siphonViewer: { framesDecoded: number } }).siphonViewer.framesDecoded > 0);
    const samples = await sampleFrames(viewer, 3, read);
    expect(samples[3]!).toBeGreaterThan(samples[1]!);
    expect(samples[1]!).toBeGreaterThan(samples[0]!);
    const logged = await relay.waitFor((l) => l.event === 'viewer.first_frame' && l.stream === 'sdk-viewer');
    expect(typeof logged.ms).toBe('number');
    // The viewer's join made the publishing browser receive a keyframe request (mountpoint rtcpport → tee → NoSIP).
    expect(await pliReceived(pub.page)).toBeGreaterThan(plisBefore);
    expect(await viewer.textContent('#first-frame')).toMatch(/first frame \d+ ms after watch/);
    expect(await viewer.textContent('#resolution')).toMatch(/\d+×\d+/);
    // The index page lists the live stream with a link to the viewer.
    const index = await browser.newPage();
    pages.push(index);
    await index.goto(`${relay.pageUrl}/`);
    await index.waitForSelector('tr[data-stream="sdk-viewer"] a[href^="/viewer.html"]');
    // Picking the stream by hand on a bare viewer page: the picker offers it, Watch plays it.
    const picker = await browser.newPage();
    pages.push(picker);
    await picker.goto(`${relay.pageUrl}/viewer.html`);
    await picker.waitForSelector('#live option[value="sdk-viewer"]', { state: 'attached' });
    await picker.fill('#stream', 'sdk-viewer');
    await picker.click('#watch');
    await textIs(picker, '#status', 'playing');
    expect(picker.url()).toContain('?stream=sdk-viewer');
  });

  it('a second publish of a name in use fails with "Stream name is already in use"', async () => {
    const first = track(await openTwoWay(browser, relay.pageUrl));
    await publishOn(first.page, 'sdk-dup');
    const second = track(await openTwoWay(browser, relay.pageUrl));
    await publishOn(second.page, 'sdk-dup', 'FAILED');
    const failed = await second.statuses.waitFor('FAILED');
    expect(failed.info).toBe('Stream name is already in use');
    expect(await first.page.textContent('#publishStatus')).toBe('PUBLISHING');
  });

  it('playing an unknown name fails with "Stream not found"', async () => {
    const player = track(await openPlayer(browser, relay.pageUrl, 'sdk-nobody', 'FAILED'));
    expect(await player.page.textContent('#info')).toBe('Stream not found');
  });

  it('publisher stop: players get STOPPED "Stopped by publisher stop", the publisher UNPUBLISHED', async () => {
    const pub = track(await openTwoWay(browser, relay.pageUrl));
    await publishOn(pub.page, 'sdk-stop');
    const player = track(await openPlayer(browser, relay.pageUrl, 'sdk-stop'));
    await pub.page.click('#publishBtn'); // "Stop"
    await textIs(pub.page, '#publishStatus', 'UNPUBLISHED');
    await pub.statuses.waitFor('UNPUBLISHED');
    const stopped = await player.statuses.waitFor('STOPPED');
    expect(stopped.info).toBe('Stopped by publisher stop');
    await textIs(player.page, '#status', 'STOPPED');
  });

  it('a publisher data event reaches the player (sendStreamEvent → notifyStreamEvent)', async () => {
    const pub = track(await openTwoWay(browser, relay.pageUrl));
    await publishOn(pub.page, 'sdk-data');
    await pub.page.fill('#playStream', 'sdk-data');
    await pub.page.click('#playBtn');
    await textIs(pub.page, '#playStatus', 'PLAYING');
    await pub.page.fill('#streamData', '{"count": 42}');
    await pub.page.click('#sendDataBtn');
    await pub.page.waitForFunction(() => document.getElementById('receivedData')?.textContent?.includes('42'));
    expect(await pub.page.textContent('#receivedData')).toContain('"count":42');
  });

  it('REST /stream/terminate ends the named stream: publisher and player get final statuses', async () => {
    const pub = track(await openTwoWay(browser, relay.pageUrl));
    await publishOn(pub.page, 'sdk-term');
    const player = track(await openPlayer(browser, relay.pageUrl, 'sdk-term'));
    const found = await fetch(`${relay.url}/rest-api/stream/find`, { method: 'POST', body: JSON.stringify({ name: 'sdk-term', published: true }) });
    expect(found.status).toBe(200);
    const [record] = await found.json() as { mediaSessionId: string; status: string }[];
    expect(record!.status).toBe('PUBLISHING');
    const res = await fetch(`${relay.url}/rest-api/stream/terminate`, { method: 'POST', body: JSON.stringify({ mediaSessionId: record!.mediaSessionId }) });
    expect(res.status).toBe(200);
    const ended = await pub.statuses.waitFor('UNPUBLISHED');
    expect(ended.info).toBe('Stopped by rest /terminate');
    await player.statuses.waitFor('STOPPED', 'Stopped by publisher stop');
    const again = await fetch(`${relay.url}/rest-api/stream/terminate`, { method: 'POST', body: JSON.stringify({ mediaSessionId: record!.mediaSessionId }) });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ error: 'not_found' });
  });
});
