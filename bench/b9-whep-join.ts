/**
 * B9 WHEP join: POST /whep/<stream> → first painted frame in an independent WHEP player (medooze's
 * WHEPClient in Chromium), over N joins of a live pulled stream, beside the viewer page's join (B2's
 * measure: watch → first painted frame) in the same run, alternating. The publisher is the SDK's Two Way
 * Streaming page on relay A (Chromium makes keyframes only on request), relay B pulls it.
 * Run: node --import tsx bench/b9-whep-join.ts [joins=20]
 */
import type { Browser, Page } from 'playwright-core';
import { NetNamespace } from '../test/harness/netns.ts';
import { RelayProcess } from '../test/harness/relay-process.ts';
import { launchBrowser } from '../test/harness/browser.ts';
import { openTwoWay, publishOn } from '../test/harness/sdk-pages.ts';
import { openWhep, whepFirstFrameMs } from '../test/harness/whep-page.ts';
import { machine, ms, percentile, waitFor } from './lib.ts';
import { BenchReport } from './report.ts';

const JOINS = Number(process.argv[2] ?? 20);
interface ViewerState { firstFrameMs: number | null }

async function viewerJoin(viewer: Page, base: string, stream: string): Promise<number> {
  await viewer.goto(`${base}/viewer.html?stream=${encodeURIComponent(stream)}`);
  await viewer.waitForFunction(() => (window as unknown as { siphonViewer: ViewerState }).siphonViewer.firstFrameMs !== null, undefined, { timeout: 30_000 });
  return viewer.evaluate(() => (window as unknown as { siphonViewer: ViewerState }).siphonViewer.firstFrameMs!);
}

const ns = NetNamespace.create();
let browser: Browser | undefined;
let close = async () => undefined as unknown;
const relays: RelayProcess[] = [];
try {
  const [a, b] = await Promise.all([RelayProcess.start(ns, { SIPHON_LOG_LEVEL: 'info' }), RelayProcess.start(ns, { ...RelayProcess.slot(1), SIPHON_LOG_LEVEL: 'info' })]);
  relays.push(a, b);
  ({ browser, close } = await launchBrowser(ns));
  const pub = await openTwoWay(browser, a.pageUrl);
  await publishOn(pub.page, 'bench');
  await fetch(`${b.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: a.innerWsUrl, remoteStreamName: 'bench', localStreamName: 'b9' }) });
  const status = async () => ((await (await fetch(`${b.url}/rest-api/pull/find_all`)).json()) as { status: string }[])[0]?.status;
  await waitFor(status, (s) => s === 'PLAYING', 20_000);
  await new Promise((r) => setTimeout(r, 12_000)); // past any natural keyframe: every join needs the PLI path

  const viewer = await browser.newPage();
  const whep: number[] = [];
  const page: number[] = [];
  for (let i = 0; i < JOINS; i++) {
    const player = await openWhep(browser, b.pageUrl, `${b.pageUrl}/whep/b9`);
    whep.push(await whepFirstFrameMs(player));
    await fetch(`${b.url}${new URL(await player.resource()).pathname}`, { method: 'DELETE' });
    await player.page.close();
    await new Promise((r) => setTimeout(r, 1500)); // joins spaced out so each needs a fresh keyframe
    page.push(await viewerJoin(viewer, b.pageUrl, 'b9'));
    await viewer.goto('about:blank');
    await new Promise((r) => setTimeout(r, 1500));
  }

  console.log(`machine: ${machine()}`);
  const row = (what: string, xs: number[]) => [what, ms(percentile(xs, 50)), ms(percentile(xs, 95)), ms(Math.max(...xs))];
  const report = new BenchReport('B9', { conditions: `${JOINS} joins each, alternating; publisher Chromium, viewers' Chromium and two relays on the same cores` });
  report.table(`B9 joins of a live pulled stream, publisher keyframes on request only (${JOINS} each, alternating, ms)`, ['join', 'p50', 'p95', 'max'], [
    row('WHEP: POST → first painted frame (WHEPClient)', whep),
    row('viewer page: watch → first painted frame (B2)', page),
  ]);
  report.figures({ joins: JOINS, whepJoinP50Ms: ms(percentile(whep, 50)), whepJoinP95Ms: ms(percentile(whep, 95)) });
  report.baseline("the viewer page's join (watch → first painted frame), alternating with WHEP", { joinP50Ms: ms(percentile(page, 50)), joinP95Ms: ms(percentile(page, 95)) });
  report.write();
} finally {
  await close();
  await Promise.all(relays.map((r) => r.stop()));
  ns.destroySync();
}
