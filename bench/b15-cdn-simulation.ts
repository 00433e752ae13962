/**
 * B15 the CDN at scale, on paper and with the real placement code: worker/src/tree.ts (what /rest-api/play runs)
 * placing a synthetic audience over simulated time. 1000 relays in 10 regions (capacity 500 viewers each, a copy fed
 * to a child counting as one), 10 000 streams with Zipf popularity (s = 1), each pulled onto one relay (its root) in
 * a random region; 1 M viewer sessions arriving evenly over an hour, each in a random region, staying an exponential
 * 20 min on average. A copy with no viewer and no child is dropped 30 s after its last viewer left (IDLE_SECONDS).
 *
 * Reported: pulls each stream's root serves (the origin side: it must stay ≤ FANOUT), tree depth, relays per stream,
 * the time of one placement, and the Durable Object operations the edge would make per second (a read per viewer
 * placed, a write per copy made, a write per heartbeat of 1000 relays every 5 s). With `--workerd`, also the
 * throughput of one Durable Object measured in `wrangler dev` (heartbeats, each a write and a read of the object),
 * which docs/architecture.md uses to size the split of the edge's state.
 *
 * Run: node --import tsx bench/b15-cdn-simulation.ts [viewers=1000000] [--workerd]
 */
import { performance } from 'node:perf_hooks';
import { childCounts, depths, placeViewer, type TreeCopy, type TreeRelay } from '../worker/src/tree.ts';
import { BenchReport } from './report.ts';
import { measureObjectThroughput } from './do-throughput.ts';

const VIEWERS = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const RELAYS = 1000;
const REGIONS = 10;
const STREAMS = 10_000;
const CAPACITY = 500;
const FANOUT = 4;
const HOUR_S = 3600;
const MEAN_STAY_S = 20 * 60;
const IDLE_S = 30;
const HEARTBEAT_S = 5;

/** A seeded generator, so a rerun places the same audience. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(15);
const regionOf = (i: number) => `r${i % REGIONS}`;

/** Zipf(1) over the streams: the cumulative weights, searched by bisection. */
const cumulative = (() => {
  const out = new Float64Array(STREAMS);
  let sum = 0;
  for (let i = 0; i < STREAMS; i += 1) out[i] = sum += 1 / (i + 1);
  for (let i = 0; i < STREAMS; i += 1) out[i]! /= sum;
  return out;
})();
function zipfStream(): number {
  const x = random();
  let lo = 0;
  let hi = STREAMS - 1;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (cumulative[mid]! < x) lo = mid + 1; else hi = mid; }
  return lo;
}

interface StreamState { copies: TreeCopy[]; viewers: Map<string, number>; maxDepth: number; maxRelays: number; maxRootFeeds: number }

const relays: TreeRelay[] = Array.from({ length: RELAYS }, (_, i) => ({ id: `relay${i}`, region: regionOf(i), headroom: CAPACITY }));
const byId = new Map(relays.map((r) => [r.id, r]));
const inRegion = new Map(Array.from({ length: REGIONS }, (_, i) => [`r${i}`, relays.filter((r) => r.region === `r${i}`)]));
const streams: StreamState[] = Array.from({ length: STREAMS }, () => {
  const root = relays[Math.floor(random() * RELAYS)]!;
  root.headroom -= 1; // the root's pull from the origin: its ingest, not a viewer, but it holds the stream
  return { copies: [{ relay: root.id, parent: null }], viewers: new Map(), maxDepth: 0, maxRelays: 1, maxRootFeeds: 0 };
});

type Event = { at: number; kind: 'arrive' | 'leave' | 'idle'; stream: number; region?: string; relay?: string };
/** Events in time order: a binary heap. */
const heap: Event[] = [];
function push(e: Event): void {
  heap.push(e);
  for (let i = heap.length - 1; i > 0;) {
    const p = (i - 1) >> 1;
    if (heap[p]!.at <= heap[i]!.at) break;
    [heap[p], heap[i]] = [heap[i]!, heap[p]!];
    i = p;
  }
}
function pop(): Event | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length > 0 && last) {
    heap[0] = last;
    for (let i = 0; ;) {
      const [l, r] = [2 * i + 1, 2 * i + 2];
      let m = i;
      if (l < heap.length && heap[l]!.at < heap[m]!.at) m = l;
      if (r < heap.length && heap[r]!.at < heap[m]!.at) m = r;
      if (m === i) break;
      [heap[m], heap[i]] = [heap[i]!, heap[m]!];
      i = m;
    }
  }
  return top;
}

for (let v = 0; v < VIEWERS; v += 1) push({ at: random() * HOUR_S, kind: 'arrive', stream: zipfStream(), region: regionOf(Math.floor(random() * REGIONS)) });

const placementUs: number[] = [];
const opsPerSecond = new Map<number, number>();
const op = (at: number, n = 1) => opsPerSecond.set(Math.floor(at), (opsPerSecond.get(Math.floor(at)) ?? 0) + n);
let rejected = 0;
let copiesMade = 0;
let copiesDropped = 0;
let concurrent = 0;
let peakConcurrent = 0;

function arrive(e: Event): void {
  const s = streams[e.stream]!;
  const holders = s.copies.map((c) => byId.get(c.relay)!);
  const candidates = [...inRegion.get(e.region!)!, ...holders.filter((r) => r.region !== e.region)];
  const t0 = performance.now();
  const placed = placeViewer(s.copies, candidates, e.region!, FANOUT);
  placementUs.push((performance.now() - t0) * 1000);
  op(e.at); // the edge reads the stream's tree
  if (!placed) { rejected += 1; return; }
  if (placed.kind === 'new') {
    s.copies.push({ relay: placed.relay, parent: placed.parent });
    byId.get(placed.parent)!.headroom -= 1; // the feed to the new copy
    copiesMade += 1;
    op(e.at); // and writes the new copy
    const depth = Math.max(...depths(s.copies).values());
    s.maxDepth = Math.max(s.maxDepth, depth);
    s.maxRelays = Math.max(s.maxRelays, s.copies.length);
    s.maxRootFeeds = Math.max(s.maxRootFeeds, childCounts(s.copies).get(s.copies[0]!.relay) ?? 0);
  }
  byId.get(placed.relay)!.headroom -= 1;
  s.viewers.set(placed.relay, (s.viewers.get(placed.relay) ?? 0) + 1);
  concurrent += 1;
  peakConcurrent = Math.max(peakConcurrent, concurrent);
  push({ at: e.at - MEAN_STAY_S * Math.log(1 - random()), kind: 'leave', stream: e.stream, relay: placed.relay });
}

function leave(e: Event): void {
  const s = streams[e.stream]!;
  const left = s.viewers.get(e.relay!)! - 1;
  s.viewers.set(e.relay!, left);
  byId.get(e.relay!)!.headroom += 1;
  concurrent -= 1;
  if (left === 0) push({ at: e.at + IDLE_S, kind: 'idle', stream: e.stream, relay: e.relay });
}

/** A copy idle for IDLE_S with no child is dropped; its parent may then be idle in turn. */
function idle(e: Event): void {
  const s = streams[e.stream]!;
  const i = s.copies.findIndex((c) => c.relay === e.relay);
  if (i <= 0 || (s.viewers.get(e.relay!) ?? 0) > 0 || s.copies.some((c) => c.parent === e.relay)) return;
  const [copy] = s.copies.splice(i, 1);
  s.viewers.delete(e.relay!);
  byId.get(copy!.parent!)!.headroom += 1;
  copiesDropped += 1;
  if ((s.viewers.get(copy!.parent!) ?? 0) === 0) push({ at: e.at + IDLE_S, kind: 'idle', stream: e.stream, relay: copy!.parent! });
}

const wall = performance.now();
for (let e = pop(); e; e = pop()) {
  if (e.kind === 'arrive') arrive(e); else if (e.kind === 'leave') leave(e); else idle(e);
}
const wallS = (performance.now() - wall) / 1000;

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!; };
const watched = streams.filter((s) => s.maxRelays > 1 || s.viewers.size > 0);
const heartbeatsPerS = RELAYS / HEARTBEAT_S;
const busiestSecond = Math.max(...opsPerSecond.values()) + heartbeatsPerS;
const meanOps = [...opsPerSecond.values()].reduce((a, b) => a + b, 0) / HOUR_S + heartbeatsPerS;

const report = new BenchReport('B15', {
  conditions: `simulation: ${RELAYS} relays in ${REGIONS} regions (capacity ${CAPACITY}), ${STREAMS} streams (Zipf s = 1), ${VIEWERS} viewer sessions over 1 h `
    + `(mean stay ${MEAN_STAY_S / 60} min), FANOUT ${FANOUT}, idle teardown ${IDLE_S} s; worker/src/tree.ts itself, one Node thread; wall time ${wallS.toFixed(1)} s`,
});
report.figures({
  viewers: VIEWERS, peakConcurrent, rejected,
  maxRootFeeds: Math.max(...streams.map((s) => s.maxRootFeeds)),
  maxDepth: Math.max(...streams.map((s) => s.maxDepth)),
  p99Depth: pct(watched.map((s) => s.maxDepth), 99),
  maxRelaysPerStream: Math.max(...streams.map((s) => s.maxRelays)),
  p50RelaysPerStream: pct(watched.map((s) => s.maxRelays), 50),
  placementP50Us: pct(placementUs, 50), placementP99Us: pct(placementUs, 99),
  copiesMade, copiesDropped, doOpsPerSecondMean: meanOps, doOpsPerSecondPeak: busiestSecond,
});
report.table(`B15 CDN simulation: ${VIEWERS} viewer sessions, ${STREAMS} streams, ${RELAYS} relays`, ['figure', 'value'], [
  ['viewers placed / refused (every relay in reach full)', `${VIEWERS - rejected} / ${rejected}`],
  ['peak concurrent viewers', peakConcurrent],
  ['pulls a stream\'s root feeds, max over streams and time (≤ FANOUT)', Math.max(...streams.map((s) => s.maxRootFeeds))],
  ['pulls from the origin per stream', 1],
  ['tree depth: max / p99 of watched streams', `${Math.max(...streams.map((s) => s.maxDepth))} / ${pct(watched.map((s) => s.maxDepth), 99)}`],
  ['relays per stream: max (the top stream) / p50 of watched streams', `${Math.max(...streams.map((s) => s.maxRelays))} / ${pct(watched.map((s) => s.maxRelays), 50)}`],
  ['one placement (tree.ts placeViewer): p50 / p99', `${pct(placementUs, 50).toFixed(1)} µs / ${pct(placementUs, 99).toFixed(1)} µs`],
  ['copies made / dropped idle', `${copiesMade} / ${copiesDropped}`],
  ['Durable Object operations per second: mean / busiest second (viewer reads, copy writes, heartbeats)', `${meanOps.toFixed(0)} / ${busiestSecond.toFixed(0)}`],
]);
if (process.argv.includes('--workerd')) {
  const { heartbeats, withoutObject } = await measureObjectThroughput();
  report.figures({ doHeartbeatsPerSecond: heartbeats.perSecond, doHeartbeatP50Ms: heartbeats.p50Ms });
  report.baseline('a route that answers without the object, same clients, same wrangler dev', { requestsPerSecond: withoutObject.perSecond, p50Ms: withoutObject.p50Ms });
  const row = (what: string, t: typeof heartbeats) => [what, t.clients, t.perSecond.toFixed(0), t.p50Ms.toFixed(1), t.p99Ms.toFixed(1)];
  report.table('B15 the edge\'s Durable Object in wrangler dev (local workerd, state on disk)', ['requests', 'clients', 'per second', 'p50 ms', 'p99 ms'],
    [row('heartbeat: one call into the object (its row read and written, idle copies checked)', heartbeats), row('no route: no object', withoutObject)]);
}
report.write();
