/**
 * B14 a viewer on a relay that lacks the stream: the viewer asks the edge (`/rest-api/play/<name>?proto=…&region=…`),
 * the edge makes an on-demand copy on that region's relay (pulling from the relay that has it) and answers once it
 * plays, then the player joins there. Measured from the edge request to the first frame the player paints: the
 * viewer page (watch), WHEP (medooze's WHEPClient) and HLS (hls.js, relay/web/hls.html); beside the same players
 * joining the relay that already plays the stream (the baseline, same run, alternating). Between trials the copy is
 * left to idle out (IDLE_SECONDS=2), so each trial makes a new one.
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
  edge = await EdgeProcess.start(ns, { RELAYS: '[]', RELAY_JOIN_TOKEN: JOIN, IDLE_SECONDS: '2', HEARTBEAT_SECONDS: '1', MEMBER_EXPIRE_SECONDS: '5' });
  const members = await Promise.all(MEMBERS.map((id, i) => {
    const slot = RelayProcess.slot(i + 1);
    return RelayProcess.start(ns, { ...slot, SIPHON_LOG_LEVEL: 'info', SIPHON_EDGE_URL: 'http://127.0.0.1:8081', SIPHON_EDGE_JOIN_TOKEN: JOIN,
      SIPHON_RELAY_ID: id, SIPHON_REGION: id, SIPHON_PUBLIC_URL: `http://127.0.0.1:${slot.SIPHON_WS_PORT}` });
  }));
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
      const url = kind === 'webrtc' ? body.location : `${relayPage}/hls.html?stream=b14&src=${encodeURIComponent(body.location)}`;
      await page.goto(url);
      const state = kind === 'webrtc' ? 'siphonViewer' : 'siphonHls';
      await page.waitForFunction((s) => (window as unknown as Record<string, { firstFrameMs: number | null }>)[s]!.firstFrameMs !== null, state, { timeout: 30_000 });
      // The viewer page counts from its watch, the HLS page from its own load: both from when the player started.
      playerMs = await page.evaluate((s) => (window as unknown as Record<string, { firstFrameMs: number }>)[s]!.firstFrameMs, state);
    }
    await page.close();
    return { totalMs: edgeMs + playerMs, edgeMs, onDemand: body.onDemand === true };
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
  console.log(`machine: ${machine()}`);
  const report = new BenchReport('B14', { conditions: `${TRIALS} trials per player, alternating with the baseline; origin, 3 member relays, wrangler dev and Chromium on the same 2 cores; 800 kbit/s H.264 640x360` });
  report.table(`B14 edge request → first painted frame (${TRIALS} trials each, ms)`, ['player', 'lacking p50', 'lacking p95', 'edge hold p50 (copy made, playing)', 'holding p50', 'holding p95'], rows);
  report.figures({ trials: TRIALS, ...figures });
  report.baseline('the same player joining the relay that already plays the stream, through the edge, alternating', baseline);
  report.write();
} finally {
  await close();
  await edge?.stop();
  await Promise.all(relays.map((r) => r.stop()));
  ns.destroySync();
}
