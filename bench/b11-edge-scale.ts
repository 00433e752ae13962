/**
 * B11 the edge at scale, on real relays under `wrangler dev`:
 *  1. Viewers spread over replicas: relay A publishes an H.264 demo; relays B and C sit behind the edge. One stream
 *     pulled with `replicas: 1`, then one with `replicas: 2`; each time VIEWERS HLS players ask the edge where to play
 *     (`/rest-api/play/<name>?proto=hls`, 307), then poll that relay's playlist and fetch what is new for WINDOW_S.
 *     CPU of B's and C's process trees (% of one core) over the window, beside their idle CPU in the same run.
 *  2. HLS through the edge: EDGE_CLIENTS players of `/hls/<name>/…` on the edge for WINDOW_S: media objects they
 *     fetched, and how many requests reached the relay (its served counters) per media object.
 * Run: node --import tsx bench/b11-edge-scale.ts [viewers=60] [edgeClients=100] [windowSeconds=20]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { NetNamespace } from '../test/harness/netns.ts';
import { RelayProcess } from '../test/harness/relay-process.ts';
import { EdgeProcess } from '../test/harness/edge-process.ts';
import { rendezvous } from '../contract/rendezvous.ts';
import { cpuSeconds, machine,  } from './lib.ts';
import { BenchReport } from './report.ts';

const VIEWERS = Number(process.argv[2] ?? 60);
const EDGE_CLIENTS = Number(process.argv[3] ?? 100);
const WINDOW_S = Number(process.argv[4] ?? 20);

/** An HLS player as far as the server can tell: playlist every 250 ms, each new media object once. */
async function player(playlist: string, until: number, objects?: Set<string>): Promise<number> {
  const base = playlist.slice(0, playlist.lastIndexOf('/') + 1);
  const seen = new Set<string>();
  let fetched = 0;
  while (Date.now() < until) {
    const res = await fetch(playlist).catch(() => undefined);
    const text = res?.status === 200 ? await res.text() : '';
    for (const uri of [...text.matchAll(/(?:URI="|^)([^"#\s][^"\s]*\.(?:m4s|mp4))/gm)].map((m) => m[1]!).slice(-6)) {
      if (seen.has(uri)) continue;
      const media = await fetch(base + uri).catch(() => undefined);
      if (media?.status !== 200) continue;
      await media.arrayBuffer();
      seen.add(uri);
      objects?.add(uri);
      fetched += 1;
    }
    await sleep(250);
  }
  return fetched;
}

const ns = NetNamespace.create();
// An HLS output stops 3 s after its last request (30 s by default), so one run's packager is gone before the next.
const quick = { SIPHON_HLS_IDLE_STOP_MS: '3000' };
const env = { a: { SIPHON_DEMO_STREAM: 'demo', SIPHON_DEMO_CODEC: 'h264' }, b: { ...RelayProcess.slot(1), ...quick }, c: { ...RelayProcess.slot(2), ...quick } };
const port = { b: 9080, c: 11080 };
let relays: RelayProcess[] = [];
let edge: EdgeProcess | undefined;
try {
  relays = await Promise.all([RelayProcess.start(ns, env.a), RelayProcess.start(ns, env.b), RelayProcess.start(ns, env.c)]);
  const [, b, c] = relays as [RelayProcess, RelayProcess, RelayProcess];
  edge = await EdgeProcess.start(ns, {
    RELAYS: JSON.stringify((['b', 'c'] as const).map((id) => ({ id, url: `http://${ns.address}:${port[id]}`, hls: `http://${ns.address}:${port[id] + 2}` }))),
  });
  const edgeUrl = edge.url;
  const cpu = async () => {
    const [b0, c0] = [cpuSeconds(b.child.pid!), cpuSeconds(c.child.pid!)];
    return async () => [b, c].map((r, i) => ((cpuSeconds(r.child.pid!) - [b0, c0][i]!) / WINDOW_S) * 100);
  };
  const pull = async (name: string, replicas: number) => {
    const res = await fetch(`${edgeUrl}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: 'ws://127.0.0.1:8080', remoteStreamName: 'demo', localStreamName: name, replicas }) });
    if (res.status !== 200) throw new Error(`pull ${name}: ${res.status} ${await res.text()}`);
    for (let i = 0; i < 100; i += 1) { // PLAYING and a first playlist on each replica
      const route = await fetch(`${edgeUrl}/rest-api/play/${name}?proto=hls`, { redirect: 'manual' });
      if (route.status === 307 && (await fetch(route.headers.get('location')!)).status === 200) return;
      await sleep(300);
    }
    throw new Error(`${name} never played`);
  };
  const rows: (string | number)[][] = [];
  const names = Array.from({ length: 50 }, (_, i) => `b11-${i}`);
  for (const [label, replicas] of [['replicas: 1', 1], ['replicas: 2', 2]] as const) {
    // Replicas 1 on B (its rendezvous first), so the runs differ only by the second replica.
    const name = names.find((n) => rendezvous([{ id: 'b' }, { id: 'c' }], n)[0]!.id === 'b' && !rows.some((r) => r[1] === n))!;
    await pull(name, replicas);
    await sleep(3000);
    const idle = await cpu();
    await sleep(WINDOW_S * 1000);
    const [idleB, idleC] = await idle();
    const routed = { b: 0, c: 0 };
    const until = Date.now() + WINDOW_S * 1000;
    const busy = await cpu();
    await Promise.all(Array.from({ length: VIEWERS }, async () => {
      const route = await fetch(`${edgeUrl}/rest-api/play/${name}?proto=hls`, { redirect: 'manual' });
      const location = route.headers.get('location')!;
      routed[location.includes(`:${port.b + 2}/`) ? 'b' : 'c'] += 1;
      await player(location, until);
    }));
    const [cpuB, cpuC] = await busy();
    for (const [relay, idleCpu, cpuNow, n] of [['B', idleB!, cpuB!, routed.b], ['C', idleC!, cpuC!, routed.c]] as const) {
      rows.push([label, name, relay, n, idleCpu, cpuNow, n > 0 ? (cpuNow - idleCpu) / n : 0]);
    }
    if (replicas === 1) { // the next run starts from relays that pull nothing
      await fetch(`${edgeUrl}/rest-api/pull/terminate`, { method: 'POST', body: JSON.stringify({ localStreamName: name }) });
      await sleep(5000);
    }
  }
  console.log(`machine: ${machine()}`);
  const report = new BenchReport('B11', { conditions: `${VIEWERS} HLS viewers, ${EDGE_CLIENTS} edge clients, ${WINDOW_S} s windows; wrangler dev, two relays and the clients on the same cores` });
  const busiest = (label: string) => Math.max(...rows.filter((r) => r[0] === label).map((r) => Number(r[5]) - Number(r[4])));
  report.figures({ viewers: VIEWERS, busiestRelayCpuPct: busiest('replicas: 2') });
  report.baseline('the same viewers on one replica (replicas: 1), same run', { busiestRelayCpuPct: busiest('replicas: 1') });
  report.table(`B11 ${VIEWERS} HLS viewers routed by /rest-api/play, ${WINDOW_S} s windows (CPU: % of one core, relay process tree)`,
    ['run', 'stream', 'relay', 'viewers', 'CPU idle', 'CPU with viewers', 'CPU per viewer'], rows);

  const cdnName = String(rows.at(-1)![1]);
  // The relays' own totals: a stream's counters go with its HLS output, which stops when idle.
  const servedBy = async (r: RelayProcess) => {
    const text = await (await fetch(`${r.url}/metrics`)).text();
    const total = (metric: string) => Number(new RegExp(`^${metric} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    return total('siphon_hls_parts_served_total') + total('siphon_hls_segments_served_total');
  };
  const before = await Promise.all([servedBy(b), servedBy(c)]);
  const objects = new Set<string>();
  const until = Date.now() + WINDOW_S * 1000;
  const fetched = (await Promise.all(Array.from({ length: EDGE_CLIENTS }, () => player(`${edgeUrl}/hls/${cdnName}/${cdnName}.m3u8`, until, objects))))
    .reduce((a, n) => a + n, 0);
  const after = await Promise.all([servedBy(b), servedBy(c)]);
  const reached = after[0]! - before[0]! + after[1]! - before[1]!;
  report.figures({ edgeClients: EDGE_CLIENTS, mediaObjects: objects.size, relayRequestsPerObject: objects.size ? reached / objects.size : NaN });
  report.table(`B11 HLS through the edge: ${EDGE_CLIENTS} clients of /hls/${cdnName}/…, ${WINDOW_S} s`,
    ['media objects', 'fetched from the edge', 'requests reaching the relays', 'per media object'],
    [[objects.size, fetched, reached, objects.size ? reached / objects.size : 0]]);
  report.write();
} finally {
  await edge?.stop();
  await Promise.all(relays.map((r) => r.stop()));
  ns.destroySync();
}
