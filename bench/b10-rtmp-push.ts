/**
 * B10 RTMP push on relay B, to a real RTMP server (nginx + libnginx-mod-rtmp in the namespace):
 *  1. Start time: REST 200 of /push/startup → the first video packet an RTMP player (ffprobe, connected and
 *     waiting at the server before the push starts) prints, over N pushes of a live pulled stream; ffprobe's
 *     own probing of the new stream is included, so the server saw the first packet somewhat earlier.
 *  2. Cost: CPU (% of one core) of B's process tree over a window with no push (baseline, same run), then with
 *     one pass-through push (relay A's H.264 demo pulled), then one VP8 → H.264 push (A's VP8 demo).
 * Run: node --import tsx bench/b10-rtmp-push.ts [pushes=10] [window s=15]
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { NetNamespace } from '../test/harness/netns.ts';
import { RelayProcess } from '../test/harness/relay-process.ts';
import { RtmpServer } from '../test/harness/rtmp-server.ts';
import { cpuSeconds, machine, ms, percentile,  } from './lib.ts';
import { BenchReport } from './report.ts';

const PUSHES = Number(process.argv[2] ?? 10);
const WINDOW_S = Number(process.argv[3] ?? 15);
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/** Resolves with the time the first video packet reaches a player of `url` (started now, before any publisher). */
function firstVideoPacket(url: string): { at: Promise<number>; stop: () => void } {
  // ffprobe's own probing is in the figure (it prints a packet once it knows the stream's tracks): with less
  // probing it never learns the video track of a stream that starts after it connected.
  const child = spawn('ffprobe', ['-v', 'error', '-rw_timeout', '30000000', '-select_streams', 'v', '-show_packets', '-show_entries', 'packet=pts', '-of', 'csv', url]);
  const at = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', () => resolve(performance.now()));
    child.once('exit', () => reject(new Error(`ffprobe of ${url} ended before a packet`)));
  });
  at.catch(() => undefined);
  return { at, stop: () => child.kill('SIGKILL') };
}

const ns = NetNamespace.create();
const relays: RelayProcess[] = [];
let rtmp: RtmpServer | undefined;
try {
  const [h264, vp8, b] = await Promise.all([
    RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'demo', SIPHON_DEMO_CODEC: 'h264', SIPHON_LOG_LEVEL: 'info' }),
    RelayProcess.start(ns, { ...RelayProcess.slot(2), SIPHON_DEMO_STREAM: 'demo', SIPHON_LOG_LEVEL: 'info' }),
    RelayProcess.start(ns, { ...RelayProcess.slot(1), SIPHON_LOG_LEVEL: 'info' }),
  ]);
  relays.push(h264, vp8, b);
  rtmp = await RtmpServer.start(ns);
  const api = (path: string, body: unknown) => fetch(`${b.url}/rest-api/${path}`, { method: 'POST', body: JSON.stringify(body) });
  await api('pull/pull', { uri: h264.innerWsUrl, remoteStreamName: 'demo', localStreamName: 'h264' });
  await api('pull/pull', { uri: vp8.innerWsUrl, remoteStreamName: 'demo', localStreamName: 'vp8' });
  await b.waitFor((l) => l.event === 'pull.state' && l.stream === 'h264' && l.to === 'PLAYING', 20_000);
  await b.waitFor((l) => l.event === 'pull.state' && l.stream === 'vp8' && l.to === 'PLAYING', 20_000);

  const starts: number[] = [];
  for (let i = 0; i < PUSHES; i++) {
    const key = `start-${i}`;
    const player = firstVideoPacket(`${rtmp.url}/${key}`);
    await sleep(0.5); // the player is waiting at the server
    const t0 = performance.now();
    const res = await api('push/startup', { streamName: 'h264', rtmpUrl: `${rtmp.innerUrl}/${key}`, rtmpTransponderFullUrl: true });
    const { mediaSessionId } = await res.json() as { mediaSessionId: string };
    starts.push((await player.at) - t0);
    player.stop();
    await api('push/terminate', { mediaSessionId });
  }

  const cpu = async () => { const c0 = cpuSeconds(b.child.pid!); await sleep(WINDOW_S); return ((cpuSeconds(b.child.pid!) - c0) / WINDOW_S) * 100; };
  const idle = await cpu();
  const rows: (string | number)[][] = [['no push (baseline, 2 pulls running)', idle.toFixed(1), '-']];
  const added: Record<string, number> = {};
  for (const stream of ['h264', 'vp8']) {
    const res = await api('push/startup', { streamName: stream, rtmpUrl: `${rtmp.innerUrl}/cost-${stream}`, rtmpTransponderFullUrl: true });
    const { mediaSessionId } = await res.json() as { mediaSessionId: string };
    await b.waitFor((l) => l.event === 'rtmp.state' && l.stream === stream && l.to === 'running', 20_000);
    const with1 = await cpu();
    added[stream] = with1 - idle;
    rows.push([stream === 'h264' ? 'one push, H.264 passed through' : 'one push, VP8 → x264 (640x360, 30 fps)', with1.toFixed(1), (with1 - idle).toFixed(1)]);
    await api('push/terminate', { mediaSessionId });
  }

  console.log(`machine: ${machine()}`);
  const report = new BenchReport('B10', { conditions: `${PUSHES} pushes, ${WINDOW_S} s windows; nginx-rtmp, the origin and B on the same cores` });
  report.table(`B10 push start: REST 200 → first video packet at an RTMP player (${PUSHES} pushes, ms)`, ['measure', 'p50', 'p95', 'max'], [
    ['startup → first video packet', ms(percentile(starts, 50)), ms(percentile(starts, 95)), ms(Math.max(...starts))],
  ]);
  report.table(`B10 push cost: relay B's process tree (Node, Janus, ffmpeg), ${WINDOW_S} s windows, % of one core`, ['run', 'CPU', 'the push'], rows);
  report.figures({ pushes: PUSHES, startP50Ms: ms(percentile(starts, 50)), startP95Ms: ms(percentile(starts, 95)), h264CpuPct: added.h264!, vp8CpuPct: added.vp8! });
  report.baseline('relay B with two pulls and no push, same run', { cpuPct: idle });
  report.write();
} finally {
  await rtmp?.stop();
  await Promise.all(relays.map((r) => r.stop()));
  ns.destroySync();
}
