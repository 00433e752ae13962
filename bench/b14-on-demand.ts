/**
 * B14 a viewer on a relay that lacks the stream: the viewer asks the edge (`/rest-api/play/<name>?proto=…&region=…`),
 * the edge makes an on-demand copy on that region's relay (pulling from the relay that has it) and answers once it
 * plays, then the player joins there. Measured from the edge request to the first frame the player paints: the
 * viewer page (watch), WHEP (medooze's WHEPClient) and LL-HLS (hls.js, relay/web/hls.html); beside the same players
 * joining the relay that already plays the stream (the baseline, same run, alternating). Between trials the copy is
 * left to idle out (IDLE_SECONDS=2), so each trial makes a new one.
 *
 * Then the faults, with viewer pages that came through the edge (they ask it again when their relay fails): a chain
 * root → X → Y (FANOUT=1), a viewer page on X and one on Y; X SIGKILLed: how long each page shows no new frame, and
 * how long until Y plays again under a new parent; Y drained: the longest gap of its viewer; a fourth relay started
 * in a region of its own: how long from its process starting until the edge sends it a viewer.
 *
 * Relay a publishes the demo stream (H.264, so HLS passes it through); three relays join a `wrangler dev` edge, each
 * its own region; the stream is pulled onto one of them. Everything shares the two cores with Chromium.
 * Run: node --import tsx bench/b14-on-demand.ts [trials=8]
 */
import type { Browser, Page } from 'playwright-core';
import { NetNamespace } from '../test/harness/netns.ts';
import { RelayProcess } from '../test/harness/relay-process.ts';
import { EdgeProcess } from '../test/harness/edge-process.ts';
import { launchBrowser } from '../test/harness/browser.ts';
import { openWhep, whepFirstFrameMs } from '../test/harness/whep-page.ts';
import { machine, ms, percentile, waitFor } from './lib.ts';
import { BenchReport } from './report.ts';

const TRIALS = Number(process.argv[2] ?? 8);
const JOIN = 'b14-join-token';
const MEMBERS = ['m1', 'm2', 'm3'];
const memberEnv = (id: string, n: number) => {
  const slot = RelayProcess.slot(n);
  return { ...slot, SIPHON_LOG_LEVEL: 'info', SIPHON_EDGE_URL: 'http://127.0.0.1:8787', SIPHON_EDGE_JOIN_TOKEN: JOIN, SIPHON_RELAY_ID: id, SIPHON_REGION: id,
    SIPHON_PUBLIC_URL: `http://127.0.0.1:${slot.SIPHON_WS_PORT}` };
};
type Kind = 'webrtc' | 'whep' | 'hls';

interface Copy { relay: string }
interface Rec { localStreamName: string; relay: string; status: string; copies?: Copy[] }

const ns = NetNamespace.create();
let browser: Browser | undefined;
let close = async () => undefined as unknown;
let edge: EdgeProcess | undefined;
const relays: RelayProcess[] = [];
try {
  const origin = await RelayProcess.start(ns, { SIPHON_LOG_LEVEL: 'info', SIPHON_DEMO_STREAM: 'demo', SIPHON_DEMO_CODEC: 'h264', SIPHON_DEMO_SIZE: '640x360', SIPHON_DEMO_KBPS: '800' });
  relays.push(origin);
  edge = await EdgeProcess.start(ns, { RELAYS: '[]', RELAY_JOIN_TOKEN: JOIN, IDLE_SECONDS: '2', HEARTBEAT_SECONDS: '1', MEMBER_EXPIRE_SECONDS: '5', FANOUT: '1' });
  const members = await Promise.all(MEMBERS.map((id, i) => RelayProcess.start(ns, memberEnv(id, i + 1))));
  relays.push(...members);
  await Promise.all(members.map((m) => m.waitFor((l) => l.event === 'edge_link.state' && l.to === 'member', 15_000)));
  ({ browser, close } = await launchBrowser(ns));
  const api = edge.url;
  await fetch(`${api}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: 'ws://127.0.0.1:8080', remoteStreamName: 'demo', localStreamName: 'b14' }) });
  const record = async () => ((await (await fetch(`${api}/rest-api/pull/find_all`)).json()) as Rec[]).find((r) => r.localStreamName === 'b14');
  const root = (await waitFor(record, (r) => r?.status === 'PLAYING', 20_000, 200))!.relay;
  const away = MEMBERS.filter((m) => m !== root);

  /** Edge request → first painted frame on the relay the edge chose; the edge's share (hold) apart. */
  async function trial(kind: Kind, region: string): Promise<{ totalMs: number; edgeMs: number; onDemand: boolean }> {
    const t0 = performance.now();
    const res = await fetch(`${api}/rest-api/play/b14?proto=${kind}&region=${region}`, { redirect: 'manual' });
    const edgeMs = performance.now() - t0;
    if (res.status !== 307) throw new Error(`play answered ${res.status}: ${await res.text()}`);
    const body = await res.json() as { relay: string; location: string; onDemand?: boolean };
    const base = new URL(body.location).origin;
    const relayPage = kind === 'hls' ? `http://127.0.0.1:${new URL(members[MEMBERS.indexOf(body.relay)]!.url).port}` : base;
    let page: Page;
    let playerMs: number;
    if (kind === 'whep') {
      const player = await openWhep(browser!, relayPage, body.location);
      playerMs = await whepFirstFrameMs(player, 30_000);
      await player.page.evaluate(() => (window as unknown as { whep: { stop(): Promise<void> } }).whep.stop());
      page = player.page;
    } else {
      page = await browser!.newPage();
      const url = kind === 'webrtc' ? body.location : `${relayPage}/hls.html?stream=b14&ll=1&src=${encodeURIComponent(body.location)}`;
      await page.goto(url);
      const state = kind === 'webrtc' ? 'siphonViewer' : 'siphonHls';
      await page.waitForFunction((s) => (window as unknown as Record<string, { firstFrameMs: number | null }>)[s]!.firstFrameMs !== null, state, { timeout: 30_000 });
      // The viewer page counts from its watch, the HLS page from its own load: both from when the player started.
      playerMs = await page.evaluate((s) => (window as unknown as Record<string, { firstFrameMs: number }>)[s]!.firstFrameMs, state);
    }
    await page.close();
    return { totalMs: edgeMs + playerMs, edgeMs, onDemand: body.onDemand === true };
  }

  /** The longest time each page went without a new decoded frame while `action` ran and `settleMs` after it. */
  async function gapsDuring(pages: Page[], action: () => Promise<void>, settleMs = 6000): Promise<number[]> {
    const frames = await Promise.all(pages.map(viewerFramesOf));
    const last = pages.map(() => performance.now());
    const longest = pages.map(() => 0);
    let done = false;
    const watch = (async () => {
      while (!done) {
        const now = await Promise.all(pages.map((p, i) => viewerFramesOf(p).catch(() => frames[i]!)));
        const t = performance.now();
        // A reconnect starts the page's count again from 0: any change but to 0 is a new frame.
        now.forEach((n, i) => {
          if (n !== frames[i]! && n > 0) { longest[i] = Math.max(longest[i]!, t - last[i]!); last[i] = t; }
          frames[i] = n;
        });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await action();
    await new Promise((r) => setTimeout(r, settleMs));
    done = true;
    await watch;
    const end = performance.now();
    return longest.map((l, i) => Math.round(Math.max(l, end - last[i]!))); // a page still frozen at the end: frozen since its last frame
  }
  const viewerFramesOf = (page: Page) => page.evaluate(() => (window as unknown as { siphonViewer: { framesDecoded: number } }).siphonViewer.framesDecoded);
  const viewerVia = async (region: string) => {
    const page = await browser!.newPage();
    await page.goto(`http://127.0.0.1:8787/rest-api/play/b14?proto=webrtc&region=${region}`);
    await page.waitForFunction(() => (window as unknown as { siphonViewer: { framesDecoded: number } }).siphonViewer.framesDecoded > 5, undefined, { timeout: 30_000 });
    return page;
  };

  async function faultPhase(): Promise<{ killGapX: number; killGapY: number; reparentMs: number; drainGap: number; newRelayMs: number }> {
    await waitFor(copiesOn, (c) => c.length === 0, 20_000, 200);
    const [x, y] = away;
    const pageX = await viewerVia(x!);
    const pageY = await viewerVia(y!); // FANOUT 1: the root feeds X, so Y's copy hangs under X
    const parentOfY = async () => (await record())?.copies?.find((c) => c.relay === y) as { parent?: string; status?: string } | undefined;
    if ((await parentOfY())?.parent !== x) throw new Error(`Y's copy is not under X: ${JSON.stringify(await record())}`);
    const relayX = members[MEMBERS.indexOf(x!)]!;
    let reparentMs = NaN;
    const killedAt = performance.now();
    const [killGapX, killGapY] = await gapsDuring([pageX, pageY], async () => {
      relayX.child.kill('SIGKILL');
      await waitFor(parentOfY, (c) => c?.parent !== x && c?.status === 'PLAYING', 20_000, 50);
      reparentMs = Math.round(performance.now() - killedAt);
    });
    await relayX.exited;
    const [drainGap] = await gapsDuring([pageY], async () => {
      const res = await fetch(`${api}/rest-api/relay/drain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ relay: y }) });
      if (res.status !== 200) throw new Error(`drain answered ${res.status}`);
    });
    await Promise.all([pageX.close(), pageY.close()]);
    const started = performance.now();
    const fresh = await RelayProcess.start(ns, memberEnv('m4', 4));
    relays.push(fresh);
    await waitFor(async () => (await (await fetch(`${api}/rest-api/play/b14?proto=whep&region=m4&json=1`)).json() as { relay?: string }).relay, (r) => r === 'm4', 30_000, 200);
    const newRelayMs = Math.round(performance.now() - started);
    return { killGapX: killGapX!, killGapY: killGapY!, reparentMs, drainGap: drainGap!, newRelayMs };
  }

  const copiesOn = async () => ((await record())?.copies ?? []).map((c) => c.relay);
  const rows: (string | number)[][] = [];
  const figures: Record<string, number> = {};
  const baseline: Record<string, number> = {};
  for (const kind of ['webrtc', 'whep', 'hls'] as Kind[]) {
    const lacking: number[] = [];
    const holding: number[] = [];
    const hold: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
      await waitFor(copiesOn, (c) => c.length === 0, 20_000, 200); // the last trial's copy idled out: this one makes a new one
      const t = await trial(kind, away[i % away.length]!);
      if (!t.onDemand) throw new Error(`trial ${i} (${kind}) was not served by a new copy`);
      lacking.push(t.totalMs);
      hold.push(t.edgeMs);
      holding.push((await trial(kind, root)).totalMs);
    }
    rows.push([kind, ms(percentile(lacking, 50)), ms(percentile(lacking, 95)), ms(percentile(hold, 50)), ms(percentile(holding, 50)), ms(percentile(holding, 95))]);
    figures[`${kind}.lackingP95Ms`] = ms(percentile(lacking, 95));
    figures[`${kind}.lackingP50Ms`] = ms(percentile(lacking, 50));
    baseline[`${kind}.holdingP95Ms`] = ms(percentile(holding, 95));
  }
  const faults = await faultPhase();
  console.log(`machine: ${machine()}`);
  const report = new BenchReport('B14', { conditions: `${TRIALS} trials per player, alternating with the baseline; origin, 3 member relays, wrangler dev and Chromium on the same 2 cores; 800 kbit/s H.264 640x360` });
  report.table(`B14 edge request → first painted frame (${TRIALS} trials each, ms)`, ['player', 'lacking p50', 'lacking p95', 'edge hold p50 (copy made, playing)', 'holding p50', 'holding p95'], rows);
  report.figures({ trials: TRIALS, ...figures });
  report.baseline('the same player joining the relay that already plays the stream, through the edge, alternating', baseline);
  report.table('B14 faults, viewer pages that came through the edge (ms; frame gaps read every 50 ms)', ['what', 'ms'], [
    ['X SIGKILLed: its viewer page without a new frame', faults.killGapX], ['X SIGKILLed: the viewer page on Y (X\'s child) without a new frame', faults.killGapY],
    ['X SIGKILLed → Y plays under a new parent (find_all)', faults.reparentMs], ['Y drained: its viewer page\'s longest gap', faults.drainGap],
    ['a new relay\'s process started → the edge sends it a viewer', faults.newRelayMs],
  ]);
  report.figures({ killRecoveryMs: Math.max(faults.killGapX, faults.killGapY), reparentMs: faults.reparentMs, drainGapMs: faults.drainGap, newRelayMs: faults.newRelayMs });
  report.write();
} finally {
  await close();
  await edge?.stop();
  await Promise.all(relays.map((r) => r.stop()));
  ns.destroySync();
}
