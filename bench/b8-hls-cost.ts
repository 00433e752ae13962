/**
 * B8 HLS cost on relay B, from /proc (CPU of its Node, Janus and ffmpeg processes, by name):
 *  1. H.264 pass-through: relay A's demo is H.264 at ~2.4 Mbps (GStreamer x264, snow); B pulls it N times;
 *     B's CPU over a window without HLS, then with every pull's HLS output running (a client keeps each alive).
 *  2. VP8 → H.264: B's own VP8 demo at 640x360 30 fps; the CPU of its ffmpeg (x264 + AAC) while packaged.
 *  3. Memory per output: ffmpeg RSS, the window's bytes, B's Node RSS.
 *  4. Viewers one core serves: K simulated LL-HLS clients on one pass-through stream (blocking playlist
 *     reload for the next part, then the part, as hls.js does); B's Node CPU, requests/s, errors.
 * The origin, B, and the load clients share the 2 cores; each row says what ran.
 * Run: node --import tsx bench/b8-hls-cost.ts [pulls, default 4] [window s, default 20] [viewers list, default 100,250,500]
 */
import { Agent, get } from 'node:http';
import { readFileSync } from 'node:fs';
import { NetNamespace } from '../test/harness/netns.ts';
import { RelayProcess } from '../test/harness/relay-process.ts';
import { descendants } from '../scripts/process-tree.ts';
import { machine, metric, percentile, rssMb, waitFor } from './lib.ts';
import { BenchReport } from './report.ts';

const PULLS = Number(process.argv[2] ?? 4);
const WINDOW_S = Number(process.argv[3] ?? 20);
const VIEWERS = (process.argv[4] ?? '100,250,500').split(',').map(Number);
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

function ticks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch { return 0; }
}

/** The relay's process (`ip netns exec` execs it: the child's own pid) and everything below it, by name. */
function tree(root: number): { pid: number; command: string }[] {
  const self = readFileSync(`/proc/${root}/comm`, 'utf8').trim();
  return [{ pid: root, command: self === 'MainThread' ? 'node' : self }, ...descendants(root)];
}

/** CPU seconds per process name under the relay (node, janus, ffmpeg, gst-launch-1.0). */
function cpuByName(root: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of tree(root)) out.set(p.command, (out.get(p.command) ?? 0) + ticks(p.pid) / 100);
  return out;
}

/** % of one core per process name over `seconds`. */
async function cpuPct(root: number, seconds: number): Promise<Map<string, number>> {
  const before = cpuByName(root);
  await sleep(seconds);
  const after = cpuByName(root);
  const pct = new Map<string, number>();
  for (const [name, s] of after) pct.set(name, ((s - (before.get(name) ?? 0)) / seconds) * 100);
  return pct;
}

const pids = (root: number, name: string) => tree(root).filter((p) => p.command === name).map((p) => p.pid);

/** Keeps outputs alive and counts what a client gets: one classic playlist request per stream every 5 s. */
function keepAlive(base: string, names: string[]): () => void {
  const timer = setInterval(() => { for (const n of names) void fetch(`${base}/${n}/${n}.m3u8`).then((r) => r.text()).catch(() => undefined); }, 5000);
  for (const n of names) void fetch(`${base}/${n}/${n}.m3u8`).then((r) => r.text()).catch(() => undefined);
  return () => clearInterval(timer);
}

/** K LL-HLS clients on one playlist: block for the next part, fetch it, repeat. */
function viewers(host: string, port: number, name: string, k: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: k * 2 });
  const stats = { requests: 0, errors: 0, bytes: 0, stopped: false };
  const request = (path: string) => new Promise<string | undefined>((resolve) => {
    get({ host, port, path, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => { chunks.push(c); stats.bytes += c.length; });
      res.on('end', () => { stats.requests += 1; if (res.statusCode !== 200) stats.errors += 1; resolve(res.statusCode === 200 ? Buffer.concat(chunks).toString('latin1') : undefined); });
    }).on('error', () => { stats.errors += 1; resolve(undefined); });
  });
  const loop = async () => {
    let next = '';
    while (!stats.stopped) {
      const text = await request(`/${name}/${name}.m3u8${next}`);
      if (!text) { await sleep(0.2); next = ''; continue; }
      const hint = /PRELOAD-HINT:TYPE=PART,URI="part-[a-z0-9]+-(\d+)\.(\d+)\.m4s"/.exec(text);
      const last = [...text.matchAll(/#EXT-X-PART:DURATION=[\d.]+,URI="([^"]+)"/g)].at(-1)?.[1];
      if (last) await request(`/${name}/${last}`);
      next = hint ? `?_HLS_msn=${hint[1]}&_HLS_part=${hint[2]}` : '';
    }
  };
  for (let i = 0; i < k; i++) void loop();
  return { stats, stop: () => { stats.stopped = true; agent.destroy(); } };
}

const ns = NetNamespace.create();
const relays: RelayProcess[] = [];
try {
  const a = await RelayProcess.start(ns, { SIPHON_LOG_LEVEL: 'info', SIPHON_DEMO_STREAM: 'h264', SIPHON_DEMO_CODEC: 'h264', SIPHON_DEMO_KBPS: '2400', SIPHON_DEMO_PATTERN: 'snow' });
  const b = await RelayProcess.start(ns, { ...RelayProcess.slot(1), SIPHON_LOG_LEVEL: 'info', SIPHON_DEMO_STREAM: 'vp8', SIPHON_DEMO_KBPS: '1500',
    SIPHON_PULL_ALLOWED_ORIGINS: `${ns.address}:8080` });
  relays.push(a, b);
  const names = Array.from({ length: PULLS }, (_, i) => `pull-${i + 1}`);
  for (const name of names) {
    await fetch(`${b.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: a.innerWsUrl, remoteStreamName: 'h264', localStreamName: name }) });
  }
  await waitFor(async () => ((await (await fetch(`${b.url}/rest-api/pull/find_all`)).json()) as { status: string }[]).filter((p) => p.status === 'PLAYING').length,
    (n) => n === PULLS, 30_000, 200);
  await sleep(3);
  const root = b.child.pid!;
  const bytesIn0 = await metric(b.url, 'siphon_media_bytes_in_total');
  const base = await cpuPct(root, WINDOW_S);
  const mbps = ((await metric(b.url, 'siphon_media_bytes_in_total')) - bytesIn0) * 8 / WINDOW_S / 1e6 / (PULLS + 1);
  const nodeRss0 = rssMb(pids(root, 'node')[0]!);

  const stopKeepAlive = keepAlive(b.hlsUrl, names);
  await waitFor(async () => pids(root, 'ffmpeg').length, (n) => n === PULLS, 20_000, 200);
  await sleep(3);
  const withHls = await cpuPct(root, WINDOW_S);
  const ffmpegRss = pids(root, 'ffmpeg').map(rssMb);
  const windowBytes = await metric(b.url, 'siphon_hls_window_bytes');
  const nodeRss1 = rssMb(pids(root, 'node')[0]!);
  const sum = (m: Map<string, number>) => (m.get('node') ?? 0) + (m.get('janus') ?? 0) + (m.get('ffmpeg') ?? 0);
  const perStream = (sum(withHls) - sum(base)) / PULLS;
  console.log(`\nB8 on ${machine()}; window ${WINDOW_S} s; the origin (relay A: GStreamer x264 snow) and B's own VP8 demo run on the same cores`);
  const report = new BenchReport('B8', { conditions: `${PULLS} pulls, ${WINDOW_S} s windows; the origin (relay A: GStreamer x264) and B's own VP8 demo on the same cores` });
  report.figures({ streamMbps: mbps, cpuPctPerHlsStream: perStream });
  report.baseline(`relay B with the same ${PULLS} pulls and no HLS, same run`, { cpuPctAllStreams: sum(base) });
  report.table(`B8 pass-through: relay B with ${PULLS} pulled H.264 streams (${mbps.toFixed(2)} Mbit/s each, measured at B's tee)`,
    ['', 'node %', 'janus %', 'ffmpeg % (all)', 'total %'], [
      ['no HLS', base.get('node') ?? 0, base.get('janus') ?? 0, base.get('ffmpeg') ?? 0, sum(base)],
      [`HLS on all ${PULLS}`, withHls.get('node') ?? 0, withHls.get('janus') ?? 0, withHls.get('ffmpeg') ?? 0, sum(withHls)],
      ['per HLS stream', ((withHls.get('node') ?? 0) - (base.get('node') ?? 0)) / PULLS, '', (withHls.get('ffmpeg') ?? 0) / PULLS, perStream],
      ['goal per 2.4 Mbit/s stream', '', '', '', '≤ 1'],
    ]);
  stopKeepAlive();

  // 2. VP8 → x264: only B's own demo packaged.
  await waitFor(async () => pids(root, 'ffmpeg').length, (n) => n === 0, 60_000, 500); // the idle stop (30 s) ends the pulls' outputs
  const stopVp8 = keepAlive(b.hlsUrl, ['vp8']);
  await waitFor(async () => pids(root, 'ffmpeg').length, (n) => n === 1, 20_000, 200);
  await sleep(3);
  const transcode = await cpuPct(root, WINDOW_S);
  const transcodeRss = rssMb(pids(root, 'ffmpeg')[0]!);
  stopVp8();
  report.table('B8 VP8 → H.264 (x264 superfast zerolatency crf 23) + Opus → AAC, 640x360 30 fps, one stream', ['ffmpeg % of a core', 'ffmpeg RSS MB'],
    [[transcode.get('ffmpeg') ?? 0, transcodeRss]]);
  report.table('B8 memory per HLS output (pass-through)', ['ffmpeg RSS MB p50', 'window MB per stream', 'relay Node RSS + per stream MB'],
    [[percentile(ffmpegRss, 50), windowBytes / PULLS / 1e6, (nodeRss1 - nodeRss0) / PULLS]]);
  report.figures({ transcodeCpuPct: transcode.get('ffmpeg') ?? 0, ffmpegRssMbP50: percentile(ffmpegRss, 50) });

  // 4. Viewers of one pass-through stream.
  const rows: (string | number)[][] = [];
  const stopOne = keepAlive(b.hlsUrl, ['pull-1']);
  await sleep(3);
  for (const k of VIEWERS) {
    const v = viewers(ns.address, b.hlsPort, 'pull-1', k);
    await sleep(5);
    const r0 = v.stats.requests;
    const e0 = v.stats.errors;
    const cpu = await cpuPct(root, WINDOW_S / 2);
    const self = process.cpuUsage();
    const rps = (v.stats.requests - r0) / (WINDOW_S / 2);
    v.stop();
    const node = cpu.get('node') ?? 0;
    rows.push([k, Math.round(rps), v.stats.errors - e0, node, Math.round((k / Math.max(node, 0.1)) * 100), Math.round((self.user + self.system) / 1e6)]);
    await sleep(2);
  }
  stopOne();
  report.table('B8 LL-HLS viewers of one stream (each: blocking reload for the next part, then the part)', ['viewers', 'requests/s', 'errors',
    'relay node % of a core', 'viewers per core', 'bench client CPU s (cumulative)'], rows);
  const most = rows.at(-1)!;
  report.figures({ viewers: Number(most[0]), viewersPerCore: Number(most[4]), viewerErrors: rows.reduce((n, r) => n + Number(r[2]), 0) });
  report.write();
} finally {
  await Promise.all(relays.map((r) => r.stop()));
  ns.destroySync();
}
