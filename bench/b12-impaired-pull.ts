/**
 * B12 — quality of a pulled stream across an impaired pull link.
 *
 *   relay A ("origin") ⟷ impaired link (linkem) ⟷ relay B (pulls "origin" as "copy") → viewers on B
 *
 * The source on A: `clock` (default), an SDK publisher in Chromium beside A whose canvas carries the wall clock
 * (clock-canvas.ts: glass-to-glass is read back from every frame each viewer presents; a browser encoder answers
 * NACK and PLI as any publisher's would), or `demo`, A's GStreamer test stream (a keyframe a second).
 *
 * Viewers on B, all in one Chromium in B's namespace (a clean last mile): Siphon's viewer page (Streaming
 * mountpoint), the SDK's Player page (WCS Websocket API), a WHEP client (medooze). Control in the same run:
 * a viewer page in the same Chromium that watches A directly across the same impaired link. Per condition,
 * the link is set, viewers settle, then every counter is read at the start and end of the window (getStats).
 *
 * B12_LASTMILE=1 moves the impairment to the viewers' own link: the pull link stays clean and the viewers'
 * Chromium sits in a third namespace joined to B by a second impaired link, so what is measured is B's repair of
 * its viewers' loss from its own retransmit buffer (no control: A is not reachable from there).
 * B12_HLS=1 adds hls.js (relay/web/hls.html, LL-HLS) on B: for it, stalls (the <video>'s `waiting` → `playing`)
 * stand in for freezes, and frames dropped come from getVideoPlaybackQuality.
 * Run: node --import tsx bench/b12-impaired-pull.ts [seconds=300] [runs=1] [conditions=clean,rtt100-loss1,rtt100-loss2,burst2,loss5,cap] [clock|demo]
 */
import type { Page } from 'playwright-core';
import { NetNamespace } from '../test/harness/netns.ts';
import { ImpairedLink, type Impairment } from '../test/harness/impaired-link.ts';
import { RelayProcess } from '../test/harness/relay-process.ts';
import { launchBrowser } from '../test/harness/browser.ts';
import { openPlayer } from '../test/harness/sdk-pages.ts';
import { openWhep } from '../test/harness/whep-page.ts';
import { openHlsPlayer } from '../test/harness/hls-page.ts';
import { installQualityProbe, qualityBetween, readQuality, type PlaybackQuality } from '../test/harness/playback-quality.ts';
import { publishClock, readClockInPage, takeClockSamples } from './clock-canvas.ts';
import { machine, percentile } from './lib.ts';
import { BenchReport, type Figures } from './report.ts';

const SECONDS = Number(process.argv[2] ?? 300);
const RUNS = Number(process.argv[3] ?? 1);
const SETTLE_MS = 10_000;

/** One-way settings, applied to both directions: 100 ms RTT is 50 ms each way. */
const CONDITIONS: Record<string, { link: Impairment; capFraction?: number }> = {
  clean: { link: { delayMs: 0, jitterMs: 0, lossPct: 0, burst: 0 } },
  'rtt100-loss1': { link: { delayMs: 50, jitterMs: 15, lossPct: 1, burst: 0 } },
  'rtt100-loss2': { link: { delayMs: 50, jitterMs: 15, lossPct: 2, burst: 0 } },
  burst2: { link: { delayMs: 50, jitterMs: 15, lossPct: 2, burst: 3 } },
  loss5: { link: { delayMs: 50, jitterMs: 15, lossPct: 5, burst: 0 } },
  // A tbf cap at 80 % of what A sends B (measured over 5 s once viewers are up), no random loss.
  cap: { link: { delayMs: 50, jitterMs: 15, lossPct: 0, burst: 0 }, capFraction: 0.8 },
};
const chosen = (process.argv[4] ?? Object.keys(CONDITIONS).join(',')).split(',');
const SOURCE = process.argv[5] ?? 'clock';
const WITH_HLS = process.env.B12_HLS === '1';
const LAST_MILE = process.env.B12_LASTMILE === '1';
const HLS_KIND = 'hls.js (LL-HLS) on B';

/** Stall time and count of a plain <video> (hls.js has no getStats), recorded from now on. */
async function watchStalls(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { stalls: { count: number; ms: number; since: number | null } };
    w.stalls = { count: 0, ms: 0, since: null };
    const video = document.querySelector('video')!;
    video.addEventListener('waiting', () => { if (w.stalls.since === null) { w.stalls.count += 1; w.stalls.since = performance.now(); } });
    video.addEventListener('playing', () => { if (w.stalls.since !== null) { w.stalls.ms += performance.now() - w.stalls.since; w.stalls.since = null; } });
  });
}

async function readStalls(page: Page): Promise<{ count: number; ms: number; frames: number; dropped: number; at: number }> {
  return page.evaluate(() => {
    const w = window as unknown as { stalls: { count: number; ms: number; since: number | null } };
    const q = document.querySelector('video')!.getVideoPlaybackQuality();
    const open = w.stalls.since === null ? 0 : performance.now() - w.stalls.since;
    return { count: w.stalls.count, ms: w.stalls.ms + open, frames: q.totalVideoFrames, dropped: q.droppedVideoFrames, at: Date.now() };
  });
}

async function viewerPage(page: Page, url: string): Promise<Page> {
  await installQualityProbe(page);
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { siphonViewer: { framesDecoded: number } }).siphonViewer.framesDecoded > 0, undefined, { timeout: 30_000 });
  return page;
}

const g2g = (xs: number[]) => (xs.length ? `${Math.round(percentile(xs, 50))} / ${Math.round(percentile(xs, 95))}` : '—');

/** One run of one condition, as the goals read it: the viewers through B, and the control (a viewer of A). */
interface ConditionRun { throughB: PlaybackQuality[]; direct?: PlaybackQuality; g2gB: number[]; g2gDirect: number[]; attempts: number }
const windows = new Map<string, ConditionRun[]>();

const worst = (xs: number[]) => Math.max(...xs);
function figuresOf(runs: ConditionRun[]): { figures: Figures; baseline?: Figures } {
  const figures: Figures = {
    runs: runs.length, seconds: SECONDS,
    frozenPctMax: worst(runs.flatMap((w) => w.throughB.map((q) => q.freezePct))),
    freezesPerMinMax: worst(runs.flatMap((w) => w.throughB.map((q) => q.freezesPerMinute))),
    lossAfterRepairPctMax: worst(runs.flatMap((w) => w.throughB.map((q) => q.videoLossPct))),
    audioConcealedPctMax: worst(runs.flatMap((w) => w.throughB.map((q) => q.audioConcealedPct))),
    pullAttemptsMax: worst(runs.map((w) => w.attempts)),
  };
  if (runs.every((w) => w.g2gB.length)) figures.g2gP50MsMax = worst(runs.map((w) => percentile(w.g2gB, 50)));
  const controls = runs.map((w) => w.direct).filter((q) => q !== undefined);
  if (controls.length !== runs.length) return { figures };
  figures.hopAddsPointsMax = worst(runs.map((w) => worst(w.throughB.map((q) => q.freezePct)) - w.direct!.freezePct));
  const baseline: Figures = {
    frozenPctMax: worst(controls.map((q) => q.freezePct)), freezesPerMinMax: worst(controls.map((q) => q.freezesPerMinute)),
    audioConcealedPctMax: worst(controls.map((q) => q.audioConcealedPct)),
  };
  if (runs.every((w) => w.g2gDirect.length)) baseline.g2gP50MsMax = worst(runs.map((w) => percentile(w.g2gDirect, 50)));
  return { figures, baseline };
}

interface PullRecord { localStreamName: string; status: string; attempts?: number; link?: Record<string, unknown> }

const nsA = NetNamespace.create();
const nsB = NetNamespace.create();
const nsV = LAST_MILE ? NetNamespace.create() : undefined;
let link: ImpairedLink | undefined;
let viewerLink: ImpairedLink | undefined;
const relays: RelayProcess[] = [];
let closeBrowser = async () => undefined as unknown;
const rows: (string | number)[][] = [];
try {
  link = await ImpairedLink.create(nsA, nsB, 12);
  viewerLink = nsV ? await ImpairedLink.create(nsB, nsV, 13) : undefined;
  const [a, b] = await Promise.all([
    RelayProcess.start(nsA, { ...(SOURCE === 'demo' ? { SIPHON_DEMO_STREAM: 'origin' } : {}), SIPHON_ICE_INTERFACES: link.ifA, SIPHON_LOG_LEVEL: 'info' }),
    RelayProcess.start(nsB, { SIPHON_ICE_INTERFACES: [link.ifB, ...(viewerLink ? [viewerLink.ifA] : [])].join(','), SIPHON_LOG_LEVEL: 'info' }),
  ]);
  relays.push(a, b);
  // Where the viewers reach B: beside it, or across their own impaired link.
  const bPage = viewerLink ? `http://${viewerLink.addressA}:8080` : b.pageUrl;
  // Pages from B's address on the viewers' link are no secure context; the SDK then offers no codecs.
  const { browser, close } = await launchBrowser(nsV ?? nsB, viewerLink ? [`--unsafely-treat-insecure-origin-as-secure=${bPage}`] : []);
  const publisher = SOURCE === 'clock' ? await launchBrowser(nsA) : undefined;
  closeBrowser = async () => { await close(); await publisher?.close(); };
  if (publisher) await publishClock(publisher.browser, a.pageUrl, 'origin');
  const pulls = async () => (await (await fetch(`${b.url}/rest-api/pull/find_all`, { method: 'POST', body: '{}' })).json()) as PullRecord[];

  for (let run = 1; run <= RUNS; run++) {
    for (const name of chosen) {
      const condition = CONDITIONS[name];
      if (!condition) throw new Error(`unknown condition ${name}: ${Object.keys(CONDITIONS).join(', ')}`);
      await link.set('both', LAST_MILE ? { delayMs: 0, jitterMs: 0, lossPct: 0, burst: 0 } : condition.link);
      await viewerLink?.set('both', condition.link);
      link.rateLimit('ab', null);
      const pulledAt = Date.now();
      const res = await fetch(`${b.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: `ws://${link.addressA}:8080`, remoteStreamName: 'origin', localStreamName: 'copy' }) });
      if (res.status !== 200) throw new Error(`pull: ${res.status} ${await res.text()}`);
      const viewers: [string, Page][] = [
        ['viewer page on B', await viewerPage(await browser.newPage(), `${bPage}/viewer.html?stream=copy`)],
        ['SDK Player on B', (await openPlayer(browser, bPage, 'copy')).page],
        ['WHEP client on B', (await openWhep(browser, bPage, `${bPage}/whep/copy`)).page],
      ];
      if (!LAST_MILE) viewers.push(['control: viewer page on A, across the link', await viewerPage(await browser.newPage(), `http://${link.addressA}:8080/viewer.html?stream=origin`)]);
      const hls = WITH_HLS ? await openHlsPlayer(browser, bPage, 'copy', true, 60_000) : undefined;
      if (hls) await watchStalls(hls);
      const playingAfter = Date.now() - pulledAt;
      let capNote = '';
      if (condition.capFraction) {
        const s0 = await link.stats();
        await new Promise((r) => setTimeout(r, 5000));
        const s1 = await link.stats();
        const kbit = ((s1.ab.bytesOut - s0.ab.bytesOut) * 8) / 5 / 1000;
        const cap = Math.round(kbit * condition.capFraction);
        link.rateLimit('ab', cap);
        capNote = `; capped at ${cap} kbit/s (${condition.capFraction} × ${Math.round(kbit)})`;
      }
      if (SOURCE === 'clock') for (const [kind, p] of viewers) await readClockInPage(p, kind.startsWith('viewer page') || kind.startsWith('control') ? '#video' : 'video');
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      if (hls && SOURCE === 'clock') await readClockInPage(hls, 'video');
      const before = await Promise.all(viewers.map(([, p]) => readQuality(p)));
      const hlsBefore = hls ? await readStalls(hls) : undefined;
      if (SOURCE === 'clock') for (const [, p] of viewers) await takeClockSamples(p);
      if (hls && SOURCE === 'clock') await takeClockSamples(hls);
      const linkBefore = await link.stats();
      await new Promise((r) => setTimeout(r, SECONDS * 1000));
      const after = await Promise.all(viewers.map(([, p]) => readQuality(p)));
      const hlsAfter = hls ? await readStalls(hls) : undefined;
      const hlsClock = hls && SOURCE === 'clock' ? await takeClockSamples(hls) : [];
      const clocks = SOURCE === 'clock' ? await Promise.all(viewers.map(([, p]) => takeClockSamples(p))) : viewers.map(() => []);
      const held = b.lines.filter((l) => l.event === 'pull.playout_delay' && l.stream === 'copy').at(-1)?.toMs ?? 0;
      const linkAfter = await link.stats();
      const record = (await pulls()).find((p) => p.localStreamName === 'copy');
      const lost = linkAfter.ab.lost - linkBefore.ab.lost;
      const passed = linkAfter.ab.in - linkBefore.ab.in;
      const measured: ConditionRun = { throughB: [], g2gB: [], g2gDirect: [], attempts: record?.attempts ?? NaN };
      viewers.forEach(([kind], i) => {
        const q: PlaybackQuality = qualityBetween(before[i]!, after[i]!);
        if (i === 3) Object.assign(measured, { direct: q, g2gDirect: clocks[i]! });
        else { measured.throughB.push(q); measured.g2gB.push(...clocks[i]!); }
        rows.push([run, name, kind, q.freezePct.toFixed(2), q.freezesPerMinute.toFixed(1), Math.round(q.meanFreezeMs), q.fps.toFixed(1),
          q.framesDropped, q.videoLossPct.toFixed(3), Math.round(q.nacksPerMinute), q.plis, q.audioConcealedPct.toFixed(2), g2g(clocks[i]!),
          after[i]!.srtpCipher, i === 3 ? '—' : `${record?.status} #${record?.attempts ?? '?'}`]);
      });
      if (hls && hlsBefore && hlsAfter) {
        const s = (hlsAfter.at - hlsBefore.at) / 1000;
        const stalls = hlsAfter.count - hlsBefore.count;
        rows.push([run, name, HLS_KIND, ((hlsAfter.ms - hlsBefore.ms) / (10 * s)).toFixed(2), ((60 * stalls) / s).toFixed(1),
          stalls ? Math.round((hlsAfter.ms - hlsBefore.ms) / stalls) : 0, ((hlsAfter.frames - hlsBefore.frames) / s).toFixed(1),
          hlsAfter.dropped - hlsBefore.dropped, '—', '—', '—', '—', g2g(hlsClock), '—', `${record?.status} #${record?.attempts ?? '?'}`]);
        await hls.close();
      }
      windows.set(name, [...(windows.get(name) ?? []), measured]);
      rows.push([run, name, `link A→B: ${passed} frames, ${(100 * lost / Math.max(1, passed)).toFixed(2)} % dropped${capNote}; B holds ${held} ms; viewers up ${playingAfter} ms after POST`,
        '', '', '', '', '', '', '', '', '', '', '', JSON.stringify(record?.link ?? {})]);
      // Each condition starts from a fresh pull: its playout delay too.
      b.lines.length = 0;
      for (const [, p] of viewers) await p.close();
      await fetch(`${b.url}/rest-api/pull/terminate`, { method: 'POST', body: JSON.stringify({ localStreamName: 'copy' }) });
      console.log(`${name} run ${run} done`);
    }
  }
  const header = ['run', 'condition', 'viewer', 'frozen %', 'freezes/min', 'mean freeze ms', 'fps', 'dropped', 'packetsLost % (getStats)', 'NACKs/min', 'PLIs', 'audio concealed %', 'glass-to-glass p50 / p95 ms', 'SRTP', 'pull (attempt)'];
  for (const [name, runs] of windows) {
    const report = new BenchReport('B12', {
      variant: [LAST_MILE ? 'lastmile' : '', name, SOURCE === 'clock' ? '' : SOURCE].filter(Boolean).join('-'),
      conditions: `${LAST_MILE ? 'the viewers\' link' : 'the pull link'} ${JSON.stringify(CONDITIONS[name]!)} each way; source ${SOURCE}; ${SECONDS} s windows; two Chromiums, two relays, GStreamer and linkem on the same cores`,
    });
    report.table(`B12 — quality of a pulled stream across an impaired ${LAST_MILE ? 'viewer (last-mile) link, the pull link clean' : 'pull link'}, ${name} (source ${SOURCE}, ${SECONDS} s windows, ${machine()})`,
      header, rows.filter((r) => r[1] === name));
    const { figures, baseline } = figuresOf(runs);
    report.figures(figures);
    if (baseline) report.baseline('a viewer page of A across the same link (the control), same runs', baseline);
    report.write();
  }
} finally {
  await closeBrowser();
  await Promise.all(relays.map((r) => r.stop()));
  await viewerLink?.destroy();
  await link?.destroy();
  nsA.destroySync();
  nsB.destroySync();
  nsV?.destroySync();
}
