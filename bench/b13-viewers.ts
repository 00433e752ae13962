/**
 * B13 viewers per core, the per-player path (WHEP viewers and SDK Players: the tee sends one plain RTP copy per
 * player into a NoSIP leg of its own, which Janus encrypts and sends): relay B pulls one stream from origin A at a
 * given bitrate; a viewer farm adds WHEP viewers in steps until any sees more than 0.1 % loss.
 *
 * - The farm is relay F, Siphon's own WHEP client (a pull whose uri is B's WHEP URL): each viewer is a real WebRTC
 *   receiver in F's Janus (ICE, DTLS, SRTP decryption, NACKs), light enough for hundreds, and its losses after
 *   repair are what F's tee counts. Janus↔Janus negotiates AES-GCM, which browsers here do not (Chromium 156:
 *   AES_CM_128_HMAC_SHA1_80 with Chromium, GCM with our Janus): the profile B's legs got is read from B's Janus.
 * - B's Node and Janus are pinned to core 1 (taskset), everything else (A, F) to core 0, so "% of core 1" is the
 *   per-core figure; F sharing core 0 with A is said in the table (its CPU), since a saturated farm loses packets
 *   too.
 * Run: node --import tsx bench/b13-viewers.ts [kbps list, default 1000,2500] [steps, default 10,25,50,100,150] [window s, default 15]
 */
import { execFileSync } from 'node:child_process';
import { NetNamespace } from '../test/harness/netns.ts';
import { RelayProcess } from '../test/harness/relay-process.ts';
import { descendants } from '../scripts/process-tree.ts';
import { BenchReport, type Figures } from './report.ts';
import { cpuSeconds, machine, metric, rssMb, waitFor } from './lib.ts';

const KBPS = (process.argv[2] ?? '1000,2500').split(',').map(Number);
const STEPS = (process.argv[3] ?? '10,25,50,100,150').split(',').map(Number);
const WINDOW_S = Number(process.argv[4] ?? 15);
const ADMIN_SECRET = 'b13-admin-secret';
const LOSS_LIMIT_PCT = 0.1;
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/** Pins a process and all its threads to one core. */
const pin = (pid: number, core: number) => execFileSync('taskset', ['-apc', String(core), String(pid)], { stdio: 'ignore' });
const janusPid = async (r: RelayProcess) => ((await (await fetch(`${r.url}/health`)).json()) as { janus: { pid: number } }).janus.pid;

/** The SRTP profiles B's Janus negotiated, from a sample of its handles (its admin API listens inside the namespace only). */
function srtpProfiles(ns: NetNamespace, adminUrl: string): Promise<string[]> {
  const child = ns.spawn(process.execPath, ['--import', 'tsx', 'bench/janus-srtp-profiles.ts', adminUrl, ADMIN_SECRET],
    { cwd: new URL('..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  return new Promise((resolve) => child.once('exit', () => resolve(out.trim() ? JSON.parse(out) as string[] : ['not read'])));
}

interface Step {
  n: number; cpuPct: number; nodePct: number; janusPct: number; farmPct: number; originPct: number;
  pktsPerSec: number; usPerPacket: number; lossPct: number; rssMb: number;
}

async function run(kbps: number): Promise<{ steps: Step[]; profiles: string[]; capacity: number; baseRssMb: number }> {
  const ns = NetNamespace.create();
  const relays: RelayProcess[] = [];
  try {
    const [a, b, f] = await Promise.all([
      RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'origin', SIPHON_DEMO_KBPS: String(kbps), SIPHON_DEMO_PATTERN: 'snow', SIPHON_DEMO_SIZE: '352x200', SIPHON_LOG_LEVEL: 'info' }),
      RelayProcess.start(ns, { ...RelayProcess.slot(1), SIPHON_LOG_LEVEL: 'info', SIPHON_JANUS_ADMIN_SECRET: ADMIN_SECRET }),
      RelayProcess.start(ns, { ...RelayProcess.slot(2), SIPHON_LOG_LEVEL: 'info' }),
    ]);
    relays.push(a, b, f);
    const pull = (r: RelayProcess, body: unknown) => fetch(`${r.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify(body) });
    if ((await pull(b, { uri: a.innerWsUrl, remoteStreamName: 'origin', localStreamName: 'cam' })).status !== 200) throw new Error('B could not pull');
    await waitFor(() => metric(b.url, 'siphon_pulls_playing'), (v) => v === 1, 60_000, 100);
    const [bJanus, aJanus, fJanus] = await Promise.all([janusPid(b), janusPid(a), janusPid(f)]);
    for (const pid of [b.child.pid!, bJanus]) pin(pid, 1);
    const farm = [a.child.pid!, aJanus, f.child.pid!, fJanus, ...descendants(a.child.pid!).map((p) => p.pid), ...descendants(f.child.pid!).map((p) => p.pid)];
    for (const pid of farm) { try { pin(pid, 0); } catch { /* a child that ended */ } }
    await sleep(3);
    const baseRssMb = rssMb(b.child.pid!) + rssMb(bJanus);

    const steps: Step[] = [];
    let added = 0;
    for (const n of STEPS) {
      for (; added < n; added++) await pull(f, { uri: `http://127.0.0.1:${b.port}/whep/cam`, localStreamName: `v${added}` });
      await waitFor(() => metric(f.url, 'siphon_pulls_playing'), (v) => v === n, 120_000, 200).catch(() => undefined);
      await sleep(3);
      // cpuSeconds counts a process with its descendants: B's Node with its Janus, A with its Janus and GStreamer.
      const farmCpu = () => cpuSeconds(a.child.pid!) + cpuSeconds(f.child.pid!);
      const [in0, lost0, bIn0] = [await metric(f.url, 'siphon_media_packets_in_total'), await metric(f.url, 'siphon_media_packets_lost'), await metric(b.url, 'siphon_media_packets_in_total')];
      const [b0, janus0, farm0, origin0] = [cpuSeconds(b.child.pid!), cpuSeconds(bJanus), farmCpu(), cpuSeconds(a.child.pid!)];
      const t0 = performance.now();
      await sleep(WINDOW_S);
      const seconds = (performance.now() - t0) / 1000;
      const [bCpu, janus, farmNow, origin] = [cpuSeconds(b.child.pid!) - b0, cpuSeconds(bJanus) - janus0, farmCpu() - farm0, cpuSeconds(a.child.pid!) - origin0];
      const received = (await metric(f.url, 'siphon_media_packets_in_total')) - in0;
      const lost = (await metric(f.url, 'siphon_media_packets_lost')) - lost0;
      const playing = await metric(f.url, 'siphon_pulls_playing');
      // Every viewer gets every packet B takes in from the origin.
      const sent = ((await metric(b.url, 'siphon_media_packets_in_total')) - bIn0) * playing;
      const step: Step = {
        n: playing, cpuPct: (bCpu / seconds) * 100, nodePct: ((bCpu - janus) / seconds) * 100, janusPct: (janus / seconds) * 100,
        farmPct: (farmNow / seconds) * 100, originPct: (origin / seconds) * 100, pktsPerSec: sent / seconds,
        usPerPacket: (bCpu / Math.max(1, sent)) * 1e6, lossPct: (lost / Math.max(1, received + lost)) * 100,
        rssMb: rssMb(b.child.pid!) + rssMb(bJanus),
      };
      steps.push(step);
      console.log(`${kbps} kbps, N=${n}: ${JSON.stringify(step)}`);
      if (step.lossPct > LOSS_LIMIT_PCT || playing < n) break;
    }
    const profiles = await srtpProfiles(ns, `ws://127.0.0.1:${RelayProcess.slot(1).SIPHON_JANUS_ADMIN_PORT}`);
    // Per core: the viewers core 1 would carry at 100 %, from the largest clean step's cost per viewer.
    const clean = steps.filter((s) => s.lossPct <= LOSS_LIMIT_PCT).at(-1);
    const capacity = clean ? Math.floor(100 / (clean.cpuPct / clean.n)) : 0;
    return { steps, profiles, capacity, baseRssMb };
  } finally {
    await Promise.all(relays.map((r) => r.stop()));
    ns.destroySync();
  }
}

const report = new BenchReport('B13', { conditions: `WHEP viewers (the per-player path) of one pulled stream at ${KBPS.join(' and ')} kbps; steps ${STEPS.join(', ')}; ${WINDOW_S} s windows; B's Node and Janus on core 1, origin and farm on core 0` });
const figures: Figures = {};
for (const kbps of KBPS) {
  const { steps, profiles, capacity, baseRssMb } = await run(kbps);
  const last = steps.at(-1)!;
  report.table(`B13 WHEP viewers at ${kbps} kbps: relay B (pinned to core 1) per step; SRTP profile on B's legs: ${profiles.join(', ') || 'none read'}`,
    ['viewers', 'B % of core 1', 'B Node (tee) %', 'B Janus %', 'pkts/s out', 'µs CPU per packet', 'loss after repair %', 'B RSS MB', 'MB per viewer', 'origin + farm % (core 0)', 'of which origin %'],
    steps.map((s) => [s.n, s.cpuPct.toFixed(1), s.nodePct.toFixed(1), s.janusPct.toFixed(1), Math.round(s.pktsPerSec), s.usPerPacket.toFixed(1),
      s.lossPct.toFixed(3), s.rssMb.toFixed(0), ((s.rssMb - baseRssMb) / s.n).toFixed(2), s.farmPct.toFixed(0), s.originPct.toFixed(0)]));
  Object.assign(figures, {
    [`k${kbps}.viewersPerCore`]: capacity, [`k${kbps}.usPerPacket`]: last.usPerPacket, [`k${kbps}.maxViewersClean`]: steps.filter((s) => s.lossPct <= LOSS_LIMIT_PCT).at(-1)?.n ?? 0,
    [`k${kbps}.mbPerViewer`]: (last.rssMb - baseRssMb) / last.n,
  });
}
console.log(`machine: ${machine()}`);
report.figures(figures);
report.write();
