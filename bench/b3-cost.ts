/**
 * B3 cost: relay B's CPU (its Node process and Janus, from /proc) per pulled ~2.4 Mbps stream at
 * N = 1, 10, 20, 40 concurrent pulls, with loss, event-loop lag and memory; then the same job by a
 * werift agent (JS WebRTC → plain RTP → Janus mountpoints), CPU of the agent plus B's Janus.
 * The origin (relay A, GStreamer VP8 at 2.4 Mbps of 352x200 noise + Opus) runs on the same 2 cores for both.
 * Run: node --import tsx bench/b3-cost.ts [N list, default 1,10,20,40] [window s, default 15]
 */
import { type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { NetNamespace } from '../test/harness/netns.ts';
import { RelayProcess } from '../test/harness/relay-process.ts';
import { descendants } from '../scripts/process-tree.ts';
import { captureLoopback, transitMs } from './rtp-capture.ts';
import { BenchReport, type Figures } from './report.ts';
import { cpuSeconds, machine, metric, percentile, rssMb, udpCounters, udpDropsByPid, waitFor } from './lib.ts';

const NS_LIST = (process.argv[2] ?? '1,10,20,40').split(',').map(Number);
const WINDOW_S = Number(process.argv[3] ?? 15);
const ADMIN_KEY = 'b3-streaming-key';
const root = new URL('..', import.meta.url).pathname;

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

interface Sample { cpuPct: number; lossPct: number; lagMs: number; rssMb: number; mbps: number; playing: number; transit: number[] }

const ORIGIN_ICE_PORTS = { from: 31001, to: 31999 };
const B_MOUNTPOINT_PORTS = parseRange(RelayProcess.slot(1).SIPHON_MOUNTPOINT_PORTS!);
const CAPTURE_S = 3;

function parseRange(text: string) {
  const [from, to] = text.split('-').map(Number);
  return { from: from!, to: to! };
}

/** Added latency on B, from the wire, in its own window (tcpdump costs CPU): origin's SRTP in → plain RTP into B's mountpoints. */
async function transit(ns: NetNamespace): Promise<number[]> {
  return transitMs(await captureLoopback(ns.name, CAPTURE_S), { fromPorts: ORIGIN_ICE_PORTS }, { toPorts: B_MOUNTPOINT_PORTS });
}

const ns = NetNamespace.create();
let a: RelayProcess | undefined;
let b: RelayProcess | undefined;
try {
  [a, b] = await Promise.all([
    RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'origin', SIPHON_DEMO_KBPS: '2400', SIPHON_DEMO_PATTERN: 'snow', SIPHON_DEMO_SIZE: '352x200', SIPHON_LOG_LEVEL: 'info', SIPHON_MEDIA_PORTS: `${ORIGIN_ICE_PORTS.from}-${ORIGIN_ICE_PORTS.to}` }),
    RelayProcess.start(ns, { ...RelayProcess.slot(1), SIPHON_LOG_LEVEL: 'info', SIPHON_JANUS_STREAMING_ADMIN_KEY: ADMIN_KEY }),
  ]);
  const relayA = a;
  const relayB = b;
  const janusPid = async () => ((await (await fetch(`${relayB.url}/health`)).json()) as { janus: { pid: number } }).janus.pid;
  const post = (path: string, body: unknown) => fetch(`${relayB.url}/rest-api/pull/${path}`, { method: 'POST', body: JSON.stringify(body) });

  async function siphon(n: number): Promise<Sample> {
    for (let i = 0; i < n; i++) await post('pull', { uri: relayA.innerWsUrl, remoteStreamName: 'origin', localStreamName: `c-${i}` });
    await waitFor(() => metric(relayB.url, 'siphon_pulls_playing'), (v) => v === n, 60_000, 100);
    await sleep(3);
    const pid = relayB.child.pid!;
    const jpid = await janusPid();
    const aPid = relayA.child.pid!;
    const aJanus = ((await (await fetch(`${relayA.url}/health`)).json()) as { janus: { pid: number } }).janus.pid;
    const gst = descendants(aPid).find((p) => p.command.startsWith('gst-launch'))!.pid;
    // ss is slow with ~1000 sockets: read the drop counters outside the CPU window, on their own clock.
    const [udp0, drops0, d0] = [udpCounters(ns.name), udpDropsByPid(ns.name), performance.now()];
    const [bytes0, packets0, lost0] = [await metric(relayB.url, 'siphon_media_bytes_in_total'), await metric(relayB.url, 'siphon_media_packets_in_total'), await metric(relayB.url, 'siphon_media_packets_lost')];
    await metric(relayB.url, 'siphon_event_loop_lag_p99_ms'); // resets the lag window
    const cpuOf = () => [cpuSeconds(pid), cpuSeconds(jpid), cpuSeconds(aPid), cpuSeconds(aJanus), cpuSeconds(gst)];
    const cpu0 = cpuOf();
    const t0 = performance.now();
    await sleep(WINDOW_S);
    const cpu1 = cpuOf();
    const seconds = (performance.now() - t0) / 1000;
    const bytes = (await metric(relayB.url, 'siphon_media_bytes_in_total')) - bytes0;
    const packets = (await metric(relayB.url, 'siphon_media_packets_in_total')) - packets0;
    const lost = (await metric(relayB.url, 'siphon_media_packets_lost')) - lost0;
    const lag = await metric(relayB.url, 'siphon_event_loop_lag_p99_ms');
    const [udp1, drops1] = [udpCounters(ns.name), udpDropsByPid(ns.name)];
    const dropSeconds = (performance.now() - d0) / 1000;
    const dropsOf = (p: number) => Math.round(((drops1.get(p) ?? 0) - (drops0.get(p) ?? 0)) / dropSeconds);
    const [bTotal, bJanus, aTotal, aJanusCpu, gstCpu] = cpu1.map((c, i) => ((c - cpu0[i]!) / seconds) * 100) as [number, number, number, number, number];
    breakdown.push([n, (bTotal - bJanus).toFixed(1), bJanus.toFixed(1), (aTotal - aJanusCpu - gstCpu).toFixed(1), aJanusCpu.toFixed(1), gstCpu.toFixed(1),
      Math.round(packets / seconds / n), Math.round((udp1.received - udp0.received) / dropSeconds), Math.round((udp1.bufferDrops - udp0.bufferDrops) / dropSeconds),
      `${dropsOf(pid)} / ${dropsOf(jpid)} / ${dropsOf(aPid)} / ${dropsOf(aJanus)}`]);
    const sample = {
      cpuPct: bTotal / n, lossPct: (lost / Math.max(1, packets + lost)) * 100, lagMs: lag,
      rssMb: rssMb(pid) + rssMb(await janusPid()), mbps: (bytes * 8) / seconds / n / 1e6, playing: await metric(relayB.url, 'siphon_pulls_playing'),
      transit: await transit(ns),
    };
    for (let i = 0; i < n; i++) await post('terminate', { localStreamName: `c-${i}` });
    return sample;
  }

  async function werift(n: number): Promise<Sample> {
    const agent: ChildProcess = ns.spawn(process.execPath, ['--import', 'tsx', 'bench/werift-agent.ts', String(n), relayA.innerWsUrl, 'origin', 'ws://127.0.0.1:8198', ADMIN_KEY],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SIPHON_LOG_LEVEL: 'warn' } });
    const lines: { forwarded: number; lost: number; playing: number; lagP99Ms: number }[] = [];
    createInterface({ input: agent.stdout! }).on('line', (l) => { try { lines.push(JSON.parse(l)); } catch { /* not a counter line */ } });
    await waitFor(async () => lines.at(-1)?.playing ?? 0, (v) => v >= n, 120_000, 200);
    await sleep(3);
    const jpid = await janusPid();
    const cpu0 = cpuSeconds(agent.pid!) + cpuSeconds(jpid);
    const before = lines.at(-1)!;
    const t0 = performance.now();
    await sleep(WINDOW_S);
    await waitFor(async () => lines.length, (len) => len > lines.indexOf(before) + 1, 10_000, 100);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(agent.pid!) + cpuSeconds(jpid) - cpu0;
    const after = lines.at(-1)!;
    const forwarded = after.forwarded - before.forwarded;
    const sample = {
      cpuPct: (cpu / seconds / n) * 100, lossPct: ((after.lost - before.lost) / Math.max(1, forwarded + after.lost - before.lost)) * 100,
      lagMs: Math.max(...lines.slice(lines.indexOf(before) + 1).map((l) => l.lagP99Ms)), rssMb: rssMb(agent.pid!) + rssMb(jpid),
      mbps: NaN, playing: after.playing, transit: await transit(ns),
    };
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    return sample;
  }

  const rows: (string | number)[][] = [];
  const breakdown: (string | number)[][] = [];
  const latency: (string | number)[][] = [];
  const figures: Figures = {};
  const baseline: Figures = {};
  for (const n of NS_LIST) {
    const s = await siphon(n);
    const w = await werift(n);
    Object.assign(figures, { [`n${n}.cpuPctPerStream`]: s.cpuPct, [`n${n}.cpuRatioToWerift`]: s.cpuPct / w.cpuPct, [`n${n}.lossPct`]: s.lossPct,
      [`n${n}.addedLatencyP50Ms`]: percentile(s.transit, 50), [`n${n}.addedLatencyP99Ms`]: percentile(s.transit, 99) });
    Object.assign(baseline, { [`n${n}.cpuPctPerStream`]: w.cpuPct, [`n${n}.lossPct`]: w.lossPct, [`n${n}.addedLatencyP50Ms`]: percentile(w.transit, 50) });
    rows.push([n, s.mbps.toFixed(2), s.cpuPct.toFixed(2), w.cpuPct.toFixed(2), (s.cpuPct / w.cpuPct).toFixed(2),
      s.lossPct.toFixed(2), w.lossPct.toFixed(2), s.lagMs.toFixed(1), w.lagMs.toFixed(1), s.rssMb.toFixed(0), w.rssMb.toFixed(0)]);
    const lat = (t: number[]) => [percentile(t, 50).toFixed(2), percentile(t, 99).toFixed(2), t.length];
    latency.push([n, ...lat(s.transit), ...lat(w.transit)]);
    console.log(`N=${n} done`);
  }
  console.log(`machine: ${machine()}`);
  const report = new BenchReport('B3', { conditions: `N = ${NS_LIST.join(', ')}, ${WINDOW_S} s windows; the origin (relay A, its GStreamer) on the same cores as B and the baseline` });
  report.table(`B3 cost per pulled stream on relay B (${WINDOW_S} s windows; CPU in % of one core per stream)`,
    ['N', 'Mbps/stream', 'Siphon CPU', 'werift CPU', 'ratio S/w', 'Siphon loss %', 'werift loss %', 'Siphon lag p99 ms', 'werift lag p99 ms', 'Siphon RSS MB', 'werift RSS MB'], rows);
  report.table(`Added latency on relay B, from the wire (${CAPTURE_S} s capture): origin's SRTP in → plain RTP into a mountpoint, ms`,
    ['N', 'Siphon p50', 'Siphon p99', 'Siphon packets', 'werift p50', 'werift p99', 'werift packets'], latency);
  report.table('Where the CPU goes during the Siphon runs (% of one core, whole window)',
    ['N', "relay B's Node (tee)", "relay B's Janus", "origin's Node (tee)", "origin's Janus", "origin's GStreamer", 'RTP pkts/s per stream at B',
      'UDP datagrams/s received (all sockets)', 'UDP drops/s (socket buffer full)', 'drops/s at B Node / B Janus / A Node / A Janus'], breakdown);
  report.figures(figures);
  report.baseline('a werift agent doing the same job (werift-agent.ts: its CPU plus B\'s Janus), same run', baseline);
  report.write();
} finally {
  await Promise.all([a?.stop(), b?.stop()]);
  ns.destroySync();
}
