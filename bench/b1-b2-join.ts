/**
 * B1 pull setup: REST 200 → PLAYING → first painted frame in a viewer, over 20 pulls.
 * B2 viewer join on a live pulled stream whose publisher only makes keyframes on request (Chromium:
 *    well over 10 s apart): watch → first painted frame, over 20 joins.
 * With an RTT (ms), A and B sit in two namespaces joined by an impaired link (RTT/2 each way, ±15 ms jitter, and
 * `loss` % each way), the publisher's Chromium beside A and the viewer's beside B: the pull crosses the link.
 * Run: node --import tsx bench/b1-b2-join.ts [pulls=20] [joins=20] [rttMs=0] [lossPct=0]
 */
import type { Browser, Page } from 'playwright-core';
import { NetNamespace } from '../test/harness/netns.ts';
import { ImpairedLink } from '../test/harness/impaired-link.ts';
import { RelayProcess, type LogLine } from '../test/harness/relay-process.ts';
import { launchBrowser } from '../test/harness/browser.ts';
import { openTwoWay, publishOn } from '../test/harness/sdk-pages.ts';
import { machine, ms, percentile, waitFor } from './lib.ts';
import { BenchReport } from './report.ts';

const PULLS = Number(process.argv[2] ?? 20);
const JOINS = Number(process.argv[3] ?? 20);
const RTT_MS = Number(process.argv[4] ?? 0);
const LOSS_PCT = Number(process.argv[5] ?? 0);
interface ViewerState { status: string; firstFrameMs: number | null; firstFrameAt: number | null }

async function watch(viewer: Page, base: string, stream: string): Promise<ViewerState> {
  await viewer.goto(`${base}/viewer.html?stream=${encodeURIComponent(stream)}`);
  await viewer.waitForFunction(() => (window as unknown as { siphonViewer: ViewerState }).siphonViewer.firstFrameMs !== null, undefined, { timeout: 30_000 });
  return viewer.evaluate(() => (window as unknown as { siphonViewer: ViewerState }).siphonViewer);
}

/**
 * Splits each B1 pull at what relay B logged: the origin's answer (`pull.answered`), the leg up (`pull.state`
 * PLAYING), the viewer's leg up (`viewer.webrtc_up`, Janus's webrtcup seen by the viewer proxy).
 */
function profile(lines: LogLine[], marks: { name: string; postAt: number; watchAt: number; frameAt: number }[]): [string, number[]][] {
  const at = (name: string, match: (l: LogLine) => boolean, after: number) =>
    lines.map((l) => ({ l, t: Date.parse(String(l.t)) })).find(({ l, t }) => l.stream === name && t >= after && match(l))?.t ?? NaN;
  const rows = marks.map((m) => {
    const answered = at(m.name, (l) => l.event === 'pull.answered', m.postAt);
    const playing = at(m.name, (l) => l.event === 'pull.state' && l.to === 'PLAYING', m.postAt);
    const viewerUp = at(m.name, (l) => l.event === 'viewer.webrtc_up', m.watchAt);
    return [answered - m.postAt, playing - answered, playing - m.postAt, m.watchAt - playing, viewerUp - m.watchAt, m.frameAt - viewerUp];
  });
  const steps = [
    'POST → origin answered (WCS signalling: connect, playStream, SDP)', 'origin answered → pull leg up (ICE + DTLS)',
    'POST → PLAYING in the log', 'PLAYING → viewer watch (bench polling, page load)',
    'viewer watch → its leg up (Janus signalling, ICE, DTLS)', 'viewer leg up → first painted frame (keyframe request → origin → decode)',
  ];
  return steps.map((step, i) => [step, rows.map((r) => r[i]!).filter((x) => Number.isFinite(x))]);
}

const ns = NetNamespace.create();
const nsB = RTT_MS > 0 ? NetNamespace.create() : ns;
let link: ImpairedLink | undefined;
const closers: (() => Promise<unknown>)[] = [];
const relays: RelayProcess[] = [];
try {
  let a: RelayProcess;
  let b: RelayProcess;
  let originUrl: string;
  if (RTT_MS > 0) {
    link = await ImpairedLink.create(ns, nsB, 21);
    await link.set('both', { delayMs: RTT_MS / 2, jitterMs: 15, lossPct: LOSS_PCT });
    [a, b] = await Promise.all([
      RelayProcess.start(ns, { SIPHON_LOG_LEVEL: 'info', SIPHON_ICE_INTERFACES: link.ifA }),
      RelayProcess.start(nsB, { SIPHON_LOG_LEVEL: 'info', SIPHON_ICE_INTERFACES: link.ifB }),
    ]);
    originUrl = `ws://${link.addressA}:8080`;
  } else {
    [a, b] = await Promise.all([RelayProcess.start(ns, { SIPHON_LOG_LEVEL: 'info' }), RelayProcess.start(ns, { ...RelayProcess.slot(1), SIPHON_LOG_LEVEL: 'info' })]);
    originUrl = a.innerWsUrl;
  }
  relays.push(a, b);
  const publisher = await launchBrowser(ns);
  closers.push(publisher.close);
  const browser: Browser = nsB === ns ? publisher.browser : await launchBrowser(nsB).then((v) => (closers.push(v.close), v.browser));
  const pub = await openTwoWay(publisher.browser, a.pageUrl);
  await publishOn(pub.page, 'bench');
  const viewer = await browser.newPage();
  const post = (path: string, body: unknown) => fetch(`${b.url}/rest-api/pull/${path}`, { method: 'POST', body: JSON.stringify(body) });
  const status = async (name: string) => ((await (await post('find_all', {})).json().catch(() => [])) as { localStreamName: string; status: string }[]).find((p) => p.localStreamName === name)?.status;

  const b1: { rest: number; playing: number; frame: number; total: number }[] = [];
  const marks: { name: string; postAt: number; watchAt: number; frameAt: number }[] = [];
  for (let i = 0; i < PULLS; i++) {
    const name = `b1-${i}`;
    const postAt = Date.now();
    const t0 = performance.now();
    const res = await post('pull', { uri: originUrl, remoteStreamName: 'bench', localStreamName: name });
    if (res.status !== 200) throw new Error(`pull answered ${res.status}`);
    const tRest = performance.now();
    await waitFor(() => status(name), (s) => s === 'PLAYING', 20_000, 5);
    const tPlaying = performance.now();
    const v = await watch(viewer, b.pageUrl, name);
    b1.push({ rest: tRest - t0, playing: tPlaying - t0, frame: v.firstFrameMs!, total: tPlaying - t0 + v.firstFrameMs! });
    marks.push({ name, postAt, watchAt: v.firstFrameAt! - v.firstFrameMs!, frameAt: v.firstFrameAt! });
    await viewer.goto('about:blank');
    await post('terminate', { localStreamName: name });
  }

  await post('pull', { uri: originUrl, remoteStreamName: 'bench', localStreamName: 'b2' });
  await waitFor(() => status('b2'), (s) => s === 'PLAYING', 20_000);
  await new Promise((r) => setTimeout(r, 12_000)); // let the stream run past a 10 s keyframe interval
  const b2: number[] = [];
  for (let i = 0; i < JOINS; i++) {
    const v = await watch(viewer, b.pageUrl, 'b2');
    b2.push(v.firstFrameMs!);
    await viewer.goto('about:blank');
    await new Promise((r) => setTimeout(r, 1500)); // joins spaced out so each needs a fresh keyframe
  }

  const where = RTT_MS ? `pull across ${RTT_MS} ms RTT ±15 ms, ${LOSS_PCT} % loss each way` : 'one namespace, clean';
  console.log(`machine: ${machine()}; ${where}`);
  const report = new BenchReport('B1', {
    variant: RTT_MS ? `rtt${RTT_MS}${LOSS_PCT ? `-loss${LOSS_PCT}` : ''}` : '',
    conditions: `${where}; ${PULLS} pulls, ${JOINS} joins; two relays, two Chromiums (one without an RTT) and GStreamer on the same cores`,
  });
  const col = (f: (r: typeof b1[number]) => number) => [ms(percentile(b1.map(f), 50)), ms(percentile(b1.map(f), 95)), ms(Math.max(...b1.map(f)))];
  report.table(`B1 pull setup over ${b1.length} pulls (ms, from the POST)`, ['step', 'p50', 'p95', 'max'], [
    ['REST 200', ...col((r) => r.rest)],
    ['status PLAYING', ...col((r) => r.playing)],
    ['viewer watch → first painted frame', ...col((r) => r.frame)],
    ['total: POST → PLAYING → first painted frame', ...col((r) => r.total)],
  ]);
  report.table(`Where B1's time goes (relay B's log beside the page's clock, same machine; ms, p50 / p95 / max)`, ['step', 'p50', 'p95', 'max'],
    profile(b.lines, marks).map(([step, xs]) => [step, ms(percentile(xs, 50)), ms(percentile(xs, 95)), ms(Math.max(...xs))]));
  report.table(`B2 viewer join on a live pulled stream, publisher keyframes on request only (${b2.length} joins, ms)`, ['measure', 'p50', 'p95', 'max'], [
    ['watch → first painted frame', ms(percentile(b2, 50)), ms(percentile(b2, 95)), ms(Math.max(...b2))],
  ]);
  const [totalP50, totalP95] = col((r) => r.total);
  const [, viewerP95] = col((r) => r.frame);
  report.figures({ pulls: b1.length, totalP50Ms: totalP50!, totalP95Ms: totalP95!, viewerP95Ms: viewerP95!, joins: b2.length, joinP50Ms: ms(percentile(b2, 50)), joinP95Ms: ms(percentile(b2, 95)) });
  report.write();
} finally {
  for (const close of closers) await close();
  await Promise.all(relays.map((r) => r.stop()));
  await link?.destroy();
  ns.destroySync();
  nsB.destroySync();
}
