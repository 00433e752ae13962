/**
 * B13 viewers per core: relay B pulls one stream from origin A at a given bitrate; a viewer farm adds viewers in steps
 * until any sees more than 0.1 % loss. Paths: WHEP viewers (SDK Players take the same one: both are a `Player`), served
 * from the stream's mountpoint (the default fan-out) or, `--tee`, also through a NoSIP leg each fed by the tee (one
 * plain RTP copy per player from Node, what Siphon did before); Streaming mountpoint viewers (the viewer page).
 *
 * - The farm is relay F, Siphon's own WHEP client (a pull whose uri is B's WHEP URL): each viewer is a real WebRTC
 *   receiver in F's Janus (ICE, DTLS, SRTP decryption, NACKs), light enough for hundreds, and its losses after
 *   repair are what F's tee counts. Janus↔Janus negotiates AES-GCM, which browsers here do not (Chromium 156:
 *   AES_CM_128_HMAC_SHA1_80 with Chromium, GCM with our Janus): the profile B's legs got is read from B's Janus.
 * - B's Node and Janus are pinned to core 1 (taskset), everything else (A, F) to core 0, so "% of core 1" is the
 *   per-core figure; F sharing core 0 with A is said in the table (its CPU), since a saturated farm loses packets
 *   too. The kernel's receive work for loopback packets runs on core 0 as well (RPS; `--rx-on-sender` to keep it on the
 *   sender's core): B pays its sends, as it would to a NIC, not its viewers' receiving; B's own receive of the one
 *   pulled stream (1/N of the packets) runs there too.
 * Run: node --import tsx bench/b13-viewers.ts [kbps list, default 1000,2500] [steps, default 10,25,50,100,150] [window s, default 15]
 *   [--path=whep|mountpoint] [--profile=gcm|cm] [--baseline: the same again with B on Debian's stock Janus] [--perf: where B's CPU goes]
 *   [--rx-on-sender] [--tee: WHEP path, also with players on the tee] [--capacity=N: WHEP path, B refuses past N]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetNamespace } from '../test/harness/netns.ts';
import { RelayProcess } from '../test/harness/relay-process.ts';
import { descendants } from '../scripts/process-tree.ts';
import { CM_HMAC_SHA1_80, srtpProfilesEnv } from '../test/harness/srtp-profile-shim.ts';
import { spawnViewerFarm } from '../test/harness/viewer-farm.ts';
import { BenchReport, type Figures } from './report.ts';
import { cpuSeconds, machine, metric, rssMb, waitFor } from './lib.ts';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}`))?.split('=')[1] ?? (process.argv.includes(`--${name}`) ? 'yes' : undefined);
const KBPS = (args[0] ?? '1000,2500').split(',').map(Number);
const STEPS = (args[1] ?? '10,25,50,100,150').split(',').map(Number);
const WINDOW_S = Number(args[2] ?? 15);
/** `whep`: WHEP viewers, the per-player path (SDK Players take it too); `mountpoint`: Streaming viewers (the viewer page's path). */
const PATH = (option('path') ?? 'whep') as 'whep' | 'mountpoint';
/**
 * Also run B on Debian's own Janus package (`apt-get install janus`), the baseline, after the Janus setup builds. Its
 * Streaming plugin cannot answer a player's offer, so there players take the tee path (what Siphon did on it).
 */
const BASELINE = option('baseline') !== undefined;
const STOCK_JANUS = '/usr/bin/janus';
type JanusKind = 'built' | 'stock';
/** How B's players get the stream (SIPHON_PLAYER_FANOUT). */
type Fanout = 'mountpoint' | 'tee';
/** `--tee`: on the WHEP path, also measure the built Janus with players on the tee path (before the patch). */
const TEE = option('tee') !== undefined;
/**
 * `cm`: the farm's Janus offers only AES_CM_128_HMAC_SHA1_80 (what Chromium gets with Chromium) through an LD_PRELOAD
 * shim (test/harness/srtp-profile-shim.ts), so B's legs use it; default `gcm`: what Janus↔Janus picks.
 */
const PROFILE = option('profile') === 'cm' ? 'cm' : 'gcm';
/**
 * By default the kernel's receive work for packets sent inside the namespace runs on core 0 (RPS, the farm's core):
 * on loopback it would otherwise run on the sender's core, charging B for its viewers' receive path, which on a real
 * network runs on their machines. `--rx-on-sender` keeps the kernel's default (how B13 measured before 2026-12-03).
 */
const RX_ON_SENDER = option('rx-on-sender') !== undefined;
/**
 * `--capacity=N` (WHEP path): B takes N viewers (SIPHON_MAX_VIEWERS) and refuses the rest; steps past N show what the
 * N it serves lose while newcomers are refused (their pulls get 503 and retry).
 */
const CAPACITY = Number(option('capacity') ?? 0);
/** Profile B's Node and Janus with perf over one more window at the last clean step. */
const PERF = option('perf') !== undefined;
const ADMIN_SECRET = 'b13-admin-secret';
const LOSS_LIMIT_PCT = 0.1;
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/** Pins a process and all its threads to one core. */
const pin = (pid: number, core: number) => execFileSync('taskset', ['-apc', String(core), String(pid)], { stdio: 'ignore' });
const janusPid = async (r: RelayProcess) => ((await (await fetch(`${r.url}/health`)).json()) as { janus: { pid: number } }).janus.pid;

/** The SRTP profiles B's Janus negotiated, from a sample of its handles (its admin API listens inside the namespace only). */
function srtpProfiles(ns: NetNamespace, adminUrl: string): Promise<string[]> {
  const child = ns.spawn(process.execPath, ['--import', 'tsx', 'test/harness/janus-srtp-profiles.ts', adminUrl, ADMIN_SECRET],
    { cwd: new URL('..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  return new Promise((resolve) => child.once('exit', () => resolve(out.trim() ? JSON.parse(out) as string[] : ['not read'])));
}

/** The viewers B serves, added by a farm on core 0; what they received and lost (after repair) since the start. */
interface Farm {
  add(n: number): Promise<void>;
  playing(): Promise<number>;
  counts(): Promise<{ received: number; lost: number }>;
  pids(): number[];
  stop(): void;
}

/** WHEP viewers: F's own WHEP client, one pull of B's WHEP URL per viewer; F's tee counts what it lost. */
function whepFarm(b: RelayProcess, f: RelayProcess): Farm {
  let added = 0;
  return {
    add: async (n) => {
      for (; added < n; added++) {
        await fetch(`${f.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: `http://127.0.0.1:${b.port}/whep/cam`, localStreamName: `v${added}` }) });
      }
      const admitted = CAPACITY > 0 ? Math.min(n, CAPACITY) : n;
      await waitFor(() => metric(f.url, 'siphon_pulls_playing'), (v) => v === admitted, 120_000, 200).catch(() => undefined);
    },
    playing: () => metric(f.url, 'siphon_pulls_playing'),
    counts: async () => ({ received: await metric(f.url, 'siphon_media_packets_in_total'), lost: await metric(f.url, 'siphon_media_packets_lost') }),
    pids: () => [],
    stop: () => undefined,
  };
}

/** Streaming viewers of B's mountpoint, terminated in F's Janus (test/harness/mountpoint-viewer-farm.ts). */
function mountpointFarm(ns: NetNamespace): Farm {
  const farm = spawnViewerFarm(ns, 1, 2, 'cam', 39000);
  let up = 0;
  return {
    add: async (n) => { up = (await farm.add(n)).up; await sleep(2); },
    playing: async () => (up = Math.max(up, (await farm.stats()).legs / 2)),
    counts: () => farm.stats(),
    pids: () => [farm.pid],
    stop: () => farm.stop(),
  };
}

/** The farm relay's environment for PROFILE. */
const farmEnv = (): Record<string, string> => (PROFILE === 'cm' ? srtpProfilesEnv(CM_HMAC_SHA1_80) : {});

interface Step {
  n: number; cpuPct: number; nodePct: number; janusPct: number; farmPct: number; originPct: number;
  pktsPerSec: number; usPerPacket: number; lossPct: number; rssMb: number;
  /** Viewers asked for and not admitted (past `--capacity`). */
  refused: number;
}

interface Hotspot { where: string; pct: number }

/** Where B's CPU goes: perf samples of B's Node and Janus over `seconds`, the heaviest shared objects and symbols. */
function perfProfile(pids: number[], seconds: number): { dsos: Hotspot[]; symbols: Hotspot[] } {
  const file = join(tmpdir(), `b13-${process.pid}.perf`);
  try {
    execFileSync('perf', ['record', '-q', '-F', '1999', '-p', pids.join(','), '-o', file, '--', 'sleep', String(seconds)], { stdio: 'ignore' });
    const report = (sort: string) => execFileSync('perf', ['report', '-i', file, '--stdio', '--no-children', '--sort', sort, '--percent-limit', '1'], { encoding: 'utf8' })
      .split('\n').map((l) => /^\s+([\d.]+)%\s+(.+?)\s*$/.exec(l)).filter((m) => m !== null).map((m) => ({ pct: Number(m![1]), where: m![2]!.replace(/\s+/g, ' ') }));
    return { dsos: report('dso'), symbols: report('dso,sym').slice(0, 25) };
  } finally {
    rmSync(file, { force: true });
  }
}

async function run(kbps: number, janusKind: JanusKind, fanout: Fanout): Promise<{ steps: Step[]; profiles: string[]; capacity: number; baseRssMb: number; perf?: ReturnType<typeof perfProfile> }> {
  const ns = NetNamespace.create();
  if (!RX_ON_SENDER) ns.steerReceiveTo(0);
  const relays: RelayProcess[] = [];
  let farm: Farm | undefined;
  try {
    const [a, b, f] = await Promise.all([
      RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'origin', SIPHON_DEMO_KBPS: String(kbps), SIPHON_DEMO_PATTERN: 'snow', SIPHON_DEMO_SIZE: '352x200', SIPHON_LOG_LEVEL: 'info' }),
      RelayProcess.start(ns, { ...RelayProcess.slot(1), SIPHON_LOG_LEVEL: 'info', SIPHON_JANUS_ADMIN_SECRET: ADMIN_SECRET, SIPHON_PLAYER_FANOUT: fanout,
        ...(CAPACITY > 0 ? { SIPHON_MAX_VIEWERS: String(CAPACITY) } : {}),
        ...(janusKind === 'stock' ? { SIPHON_JANUS_BINARY: STOCK_JANUS } : {}) }),
      RelayProcess.start(ns, { ...RelayProcess.slot(2), SIPHON_LOG_LEVEL: 'info', ...farmEnv() }),
    ]);
    relays.push(a, b, f);
    const pull = (r: RelayProcess, body: unknown) => fetch(`${r.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify(body) });
    if ((await pull(b, { uri: a.innerWsUrl, remoteStreamName: 'origin', localStreamName: 'cam' })).status !== 200) throw new Error('B could not pull');
    await waitFor(() => metric(b.url, 'siphon_pulls_playing'), (v) => v === 1, 60_000, 100);
    farm = PATH === 'mountpoint' ? mountpointFarm(ns) : whepFarm(b, f);
    const [bJanus, aJanus, fJanus] = await Promise.all([janusPid(b), janusPid(a), janusPid(f)]);
    for (const pid of [b.child.pid!, bJanus]) pin(pid, 1);
    const farmPids = [a.child.pid!, aJanus, f.child.pid!, fJanus, ...farm.pids(), ...[a, f].flatMap((r) => descendants(r.child.pid!).map((p) => p.pid))];
    for (const pid of farmPids) { try { pin(pid, 0); } catch { /* a child that ended */ } }
    await sleep(3);
    const baseRssMb = rssMb(b.child.pid!) + rssMb(bJanus);

    const steps: Step[] = [];
    for (const n of STEPS) {
      await farm.add(n);
      await sleep(3);
      // cpuSeconds counts a process with its descendants: B's Node with its Janus, A with its Janus and GStreamer.
      const farmCpu = () => cpuSeconds(a.child.pid!) + cpuSeconds(f.child.pid!) + farm!.pids().reduce((t, p) => t + cpuSeconds(p), 0);
      const [before, bIn0] = [await farm.counts(), await metric(b.url, 'siphon_media_packets_in_total')];
      const [b0, janus0, farm0, origin0] = [cpuSeconds(b.child.pid!), cpuSeconds(bJanus), farmCpu(), cpuSeconds(a.child.pid!)];
      const t0 = performance.now();
      await sleep(WINDOW_S);
      const seconds = (performance.now() - t0) / 1000;
      const [bCpu, janus, farmNow, origin] = [cpuSeconds(b.child.pid!) - b0, cpuSeconds(bJanus) - janus0, farmCpu() - farm0, cpuSeconds(a.child.pid!) - origin0];
      const after = await farm.counts();
      const [received, lost] = [after.received - before.received, after.lost - before.lost];
      const playing = await farm.playing();
      // Every viewer gets every packet B takes in from the origin.
      const sent = ((await metric(b.url, 'siphon_media_packets_in_total')) - bIn0) * playing;
      const step: Step = {
        n: playing, cpuPct: (bCpu / seconds) * 100, nodePct: ((bCpu - janus) / seconds) * 100, janusPct: (janus / seconds) * 100,
        farmPct: (farmNow / seconds) * 100, originPct: (origin / seconds) * 100, pktsPerSec: sent / seconds,
        usPerPacket: (bCpu / Math.max(1, sent)) * 1e6, lossPct: (lost / Math.max(1, received + lost)) * 100,
        rssMb: rssMb(b.child.pid!) + rssMb(bJanus), refused: n - playing,
      };
      steps.push(step);
      console.log(`${kbps} kbps, N=${n}: ${JSON.stringify(step)}`);
      if (step.lossPct > LOSS_LIMIT_PCT || playing < (CAPACITY > 0 ? Math.min(n, CAPACITY) : n)) break;
    }
    const profiles = await srtpProfiles(ns, `ws://127.0.0.1:${RelayProcess.slot(1).SIPHON_JANUS_ADMIN_PORT}`);
    const perf = PERF ? perfProfile([b.child.pid!, bJanus], WINDOW_S) : undefined;
    // Per core: the viewers core 1 would carry at 100 %, from the largest clean step's cost per viewer.
    const clean = steps.filter((s) => s.lossPct <= LOSS_LIMIT_PCT).at(-1);
    const capacity = clean ? Math.floor(100 / (clean.cpuPct / clean.n)) : 0;
    return { steps, profiles, capacity, baseRssMb, perf };
  } finally {
    farm?.stop();
    await Promise.all(relays.map((r) => r.stop()));
    ns.destroySync();
  }
}

if (PERF && !['/usr/bin/perf', '/usr/local/bin/perf'].some(existsSync)) {
  console.error('--perf profiles with perf, which is missing: apt-get install linux-perf');
  process.exit(2);
}
if (BASELINE && !existsSync(STOCK_JANUS)) {
  console.error(`--baseline runs B on Debian's Janus package, and ${STOCK_JANUS} is missing: apt-get install janus (then systemctl disable --now janus)`);
  process.exit(2);
}
const pathName = PATH === 'whep' ? 'WHEP viewers (SDK Players take the same path)' : 'Streaming mountpoint viewers (the viewer page\'s path)';
const report = new BenchReport('B13', { variant: [PATH === 'whep' ? '' : PATH, PROFILE === 'gcm' ? '' : PROFILE, CAPACITY > 0 ? `cap${CAPACITY}` : ''].filter(Boolean).join('-') || undefined,
  conditions: `${pathName} of one pulled stream at ${KBPS.join(' and ')} kbps; steps ${STEPS.join(', ')}; ${WINDOW_S} s windows; SRTP profile asked: ${PROFILE === 'cm' ? 'AES_CM_128_HMAC_SHA1_80 (the farm offers only it)' : 'what Janus↔Janus picks'}; B's Node and Janus on core 1, origin and farm on core 0, ${RX_ON_SENDER ? 'loopback receive on the sending core (kernel default)' : 'loopback receive steered to core 0 (RPS)'}${TEE && PATH === 'whep' ? '; then players on the tee (a NoSIP leg each, the built Janus)' : ''}${CAPACITY > 0 ? `; B takes ${CAPACITY} viewers (SIPHON_MAX_VIEWERS) and refuses the rest` : ''}${BASELINE ? '; then the same on Debian\'s stock Janus (the baseline)' : ''}` });
const figures: Figures = {};
const baseline: Figures = {};
/** What B runs: the built Janus with the default fan-out, then (`--tee`) with players on the tee, then (`--baseline`) stock. */
const configs: { janusKind: JanusKind; fanout: Fanout }[] = [
  { janusKind: 'built', fanout: 'mountpoint' },
  ...(TEE && PATH === 'whep' ? [{ janusKind: 'built' as const, fanout: 'tee' as const }] : []),
  ...(BASELINE ? [{ janusKind: 'stock' as const, fanout: 'tee' as const }] : []),
];
for (const { janusKind, fanout } of configs) {
  for (const kbps of KBPS) {
    const { steps, profiles, capacity, baseRssMb, perf } = await run(kbps, janusKind, fanout);
    const last = steps.at(-1)!;
    const janusName = (janusKind === 'stock' ? 'Debian\'s stock Janus 1.1.2 (baseline)' : 'the Janus setup builds')
      + (PATH === 'whep' ? (fanout === 'tee' ? ', players on the tee (a NoSIP leg each)' : ', players on the mountpoint') : '');
    report.table(`B13 ${pathName} at ${kbps} kbps, B on ${janusName}: relay B (pinned to core 1) per step; SRTP profile on B's legs: ${profiles.join(', ') || 'none read'}`,
      [CAPACITY > 0 ? `viewers asked for (capacity ${CAPACITY})` : 'viewers', ...(CAPACITY > 0 ? ['refused'] : []), 'B % of core 1', 'B Node (tee) %', 'B Janus %', 'pkts/s out', 'µs CPU per packet', 'loss after repair %', 'B RSS MB', 'MB per viewer', 'origin + farm % (core 0)', 'of which origin %'],
      steps.map((s) => [s.n + s.refused, ...(CAPACITY > 0 ? [s.refused] : []), s.cpuPct.toFixed(1), s.nodePct.toFixed(1), s.janusPct.toFixed(1), Math.round(s.pktsPerSec), s.usPerPacket.toFixed(1),
        s.lossPct.toFixed(3), s.rssMb.toFixed(0), ((s.rssMb - baseRssMb) / s.n).toFixed(2), s.farmPct.toFixed(0), s.originPct.toFixed(0)]));
    if (perf) {
      report.table(`B13 where B's CPU goes at ${last.n} viewers, ${kbps} kbps, ${janusName} (perf, % of B's samples): by shared object`,
        ['shared object', '%'], perf.dsos.map((h) => [h.where, h.pct.toFixed(1)]));
      report.table(`B13 where B's CPU goes at ${last.n} viewers, ${kbps} kbps, ${janusName}: by symbol (≥ 1 %)`,
        ['shared object and symbol', '%'], perf.symbols.map((h) => [h.where, h.pct.toFixed(1)]));
    }
    const prefix = `${janusKind === 'built' && fanout === 'tee' ? 'tee.' : ''}k${kbps}`;
    Object.assign(janusKind === 'stock' ? baseline : figures, {
      [`${prefix}.viewersPerCore`]: capacity, [`${prefix}.usPerPacket`]: last.usPerPacket,
      [`${prefix}.maxViewersClean`]: steps.filter((s) => s.lossPct <= LOSS_LIMIT_PCT).at(-1)?.n ?? 0,
      [`${prefix}.mbPerViewer`]: (last.rssMb - baseRssMb) / last.n,
      ...(CAPACITY > 0 ? { [`${prefix}.pastCapacityLossPct`]: Math.max(0, ...steps.filter((s) => s.refused > 0).map((s) => s.lossPct)),
        [`${prefix}.refused`]: Math.max(0, ...steps.map((s) => s.refused)) } : {}),
    });
  }
}
console.log(`machine: ${machine()}`);
report.figures(figures);
if (BASELINE) report.baseline(`B on Debian's stock Janus 1.1.2 package, the same run${PATH === 'whep' ? ' (players on the tee: its Streaming plugin cannot answer them)' : ''}`, baseline);
report.write();
