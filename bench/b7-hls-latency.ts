/**
 * B7 HLS latency, for a pulled stream: relay A gets an H.264 publisher in Chromium whose canvas carries
 * the wall clock as blocks of black and white; relay B pulls it and serves it as HLS; Siphon's hls.js
 * page on B (same browser, same clock) reads the clock back from each decoded frame. Glass-to-glass =
 * now − the clock in the frame; beside it hls.js's own `latency`. LL-HLS and the classic playlist, then
 * the time from the first playlist request to the first decoded frame (output stopped before each try),
 * for H.264 passed through and for the VP8 demo transcoded.
 * Run: node --import tsx bench/b7-hls-latency.ts [seconds per mode, default 120] [first-frame tries, default 5]
 */
import type { Browser, Page } from 'playwright-core';
import { NetNamespace } from '../test/harness/netns.ts';
import { RelayProcess } from '../test/harness/relay-process.ts';
import { launchBrowser } from '../test/harness/browser.ts';
import { machine, ms, percentile, waitFor } from './lib.ts';
import { BenchReport } from './report.ts';
import { readClockInPage, publishClock } from './clock-canvas.ts';

const SECONDS = Number(process.argv[2] ?? 120);
const TRIES = Number(process.argv[3] ?? 5);
const IDLE_STOP_MS = 3000;

interface Sample { g2g: number; hlsLatency: number | null }

async function measure(browser: Browser, b: RelayProcess, ll: boolean): Promise<Sample[]> {
  const page = await browser.newPage();
  await page.goto(`${b.pageUrl}/hls.html?stream=clock${ll ? '&ll=1' : ''}`);
  await page.waitForFunction(() => (window as unknown as { siphonHls: { status: string } }).siphonHls.status === 'playing', undefined, { timeout: 30_000 });
  await readClockInPage(page);
  await page.waitForTimeout(5000); // let hls.js settle on its target latency
  await page.evaluate(() => { (window as unknown as { clockSamples: unknown[] }).clockSamples.length = 0; });
  const samples: Sample[] = [];
  for (let t = 0; t < SECONDS * 2; t++) {
    await page.waitForTimeout(500);
    const s = await page.evaluate(() => {
      const w = window as unknown as { clockSamples: number[]; siphonHls: { latency: number | null } };
      const g2g = w.clockSamples.splice(0);
      return { g2g, hls: w.siphonHls.latency };
    });
    for (const g of s.g2g) samples.push({ g2g: g, hlsLatency: s.hls });
  }
  await page.close();
  return samples;
}

async function firstFrames(browser: Browser, b: RelayProcess, stream: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < TRIES; i++) {
    await waitFor(async () => ((await (await fetch(`${b.url}/health`)).json()) as { hls: { stream: string; state: string }[] }).hls
      .filter((h) => h.stream === stream && h.state !== 'stopped').length, (n) => n === 0, IDLE_STOP_MS + 15_000, 200);
    const page: Page = await browser.newPage();
    await page.goto(`${b.pageUrl}/hls.html?stream=${stream}&ll=1`);
    await page.waitForFunction(() => (window as unknown as { siphonHls: { firstFrameMs: number | null } }).siphonHls.firstFrameMs !== null,
      undefined, { timeout: 30_000 });
    out.push(await page.evaluate(() => {
      const first = (window as unknown as { siphonHls: { firstFrameMs: number } }).siphonHls.firstFrameMs;
      const request = performance.getEntriesByType('resource').find((e) => e.name.includes('.m3u8'))!;
      return first - request.startTime;
    }));
    await page.close();
  }
  return out;
}

const ns = NetNamespace.create();
let close = async () => undefined as unknown;
const relays: RelayProcess[] = [];
try {
  const a = await RelayProcess.start(ns, { SIPHON_LOG_LEVEL: 'info', SIPHON_CODECS: 'opus,h264,vp8', SIPHON_DEMO_STREAM: 'demo' });
  const b = await RelayProcess.start(ns, { ...RelayProcess.slot(1), SIPHON_LOG_LEVEL: 'info', SIPHON_HLS_IDLE_STOP_MS: String(IDLE_STOP_MS),
    SIPHON_PULL_ALLOWED_ORIGINS: `${ns.address}:8080` });
  relays.push(a, b);
  let browser: Browser;
  ({ browser, close } = await launchBrowser(ns));
  await publishClock(browser, a.pageUrl, 'clock');
  for (const name of ['clock', 'demo']) {
    await fetch(`${b.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: a.innerWsUrl, remoteStreamName: name, localStreamName: name }) });
  }
  await waitFor(async () => ((await (await fetch(`${b.url}/rest-api/pull/find_all`)).json()) as { status: string }[]).map((p) => p.status).join(),
    (s) => s === 'PLAYING,PLAYING', 30_000, 200);

  const rows: (string | number)[][] = [];
  const report = new BenchReport('B7', { conditions: `${SECONDS} s per mode; publisher Chromium, hls.js Chromium, two relays, ffmpeg on the same cores` });
  for (const ll of [true, false]) {
    const samples = await measure(browser, b, ll);
    const g2g = samples.map((s) => s.g2g);
    const hls = samples.map((s) => s.hlsLatency).filter((x): x is number => x !== null).map((x) => x * 1000);
    rows.push([ll ? 'LL-HLS' : 'HLS (lowLatencyMode off)', samples.length, ms(percentile(g2g, 50)), ms(percentile(g2g, 95)),
      ms(percentile(hls, 50)), ms(percentile(hls, 95)), ll ? '≤ 1500' : '≤ 4000']);
    const mode = ll ? 'llhls' : 'hls';
    report.figures({ [`${mode}.g2gP50Ms`]: ms(percentile(g2g, 50)), [`${mode}.g2gP95Ms`]: ms(percentile(g2g, 95)), [`${mode}.hlsjsLatencyP50Ms`]: ms(percentile(hls, 50)) });
  }
  console.log(`\nB7 on ${machine()}; ${SECONDS} s per mode, H.264 publisher (Chromium canvas) on A, pulled into B, passed through`);
  report.table('B7 latency (ms)', ['playlist', 'frames', 'glass-to-glass p50', 'p95', 'hls.js latency p50', 'p95', 'goal p50'], rows);

  const ff: (string | number)[][] = [];
  for (const [stream, what] of [['clock', 'H.264 passed through'], ['demo', 'VP8 → x264']] as const) {
    const t = await firstFrames(browser, b, stream);
    ff.push([what, t.length, ms(percentile(t, 50)), ms(Math.max(...t)), '≤ 1500']);
    report.figures({ [`${stream === 'clock' ? 'h264' : 'vp8'}.firstFrameP50Ms`]: ms(percentile(t, 50)), [`${stream === 'clock' ? 'h264' : 'vp8'}.firstFrameMaxMs`]: ms(Math.max(...t)) });
  }
  report.table('B7 first playlist request → first decoded frame (ms), packager stopped before each try', ['stream', 'tries', 'p50', 'max', 'goal'], ff);
  report.write();
} finally {
  await close();
  await Promise.all(relays.map((r) => r.stop()));
  ns.destroySync();
}
