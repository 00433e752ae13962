/**
 * Where a WebRTC leg's set-up time goes, from the wire: for each pull (relay B's Janus ↔ relay A's Janus), its
 * viewer (Chromium's viewer page ↔ B's Streaming mountpoint) and its WCS player (the SDK's Player page ↔ B's
 * NoSIP leg), the first ICE success, every DTLS handshake record (ClientHello, its
 * retransmissions, the server's flight, the client's Finished, the server's) and the first SRTP, per leg.
 * A leg whose client sends its ClientHello twice ~1 s apart lost its first flight.
 * Run: node --import tsx bench/dtls-flights.ts [pulls, default 10]
 */
import { NetNamespace } from '../test/harness/netns.ts';
import { RelayProcess } from '../test/harness/relay-process.ts';
import { launchBrowser } from '../test/harness/browser.ts';
import { openPlayer, openTwoWay, publishOn } from '../test/harness/sdk-pages.ts';
import { openViewer } from '../test/harness/viewer-page.ts';
import { captureWhile, type UdpRecord } from './rtp-capture.ts';
import { machine, percentile, waitFor } from './lib.ts';
import { BenchReport } from './report.ts';

const PULLS = Number(process.argv[2] ?? 10);

type Kind = 'stun-req' | 'stun-ok' | 'ClientHello' | 'HelloVerify' | 'ServerHello' | 'CCS' | 'encrypted-hs' | 'alert' | 'srtp' | 'other';

function classify(p: Buffer): Kind {
  const b = p[0] ?? 0;
  if (b <= 3) return p.readUInt16BE(0) === 0x0001 ? 'stun-req' : p.readUInt16BE(0) === 0x0101 ? 'stun-ok' : 'other';
  if (b >= 20 && b <= 63) {
    if (b === 20) return 'CCS';
    if (b === 21) return 'alert';
    if (b !== 22) return 'other';
    const epoch = p.readUInt16BE(3);
    if (epoch > 0) return 'encrypted-hs';
    return ({ 1: 'ClientHello', 2: 'ServerHello', 3: 'HelloVerify' } as Record<number, Kind>)[p[13] ?? 0] ?? 'other';
  }
  if (b >= 128 && b <= 191) return 'srtp';
  return 'other';
}

interface Leg { ports: string; events: { atMs: number; kind: Kind; dir: string }[] }

/** Groups the capture by UDP port pair (one ICE component each) and keeps what happened on it, in order. */
function legs(records: UdpRecord[]): Leg[] {
  const byPair = new Map<string, Leg>();
  for (const r of records) {
    const [lo, hi] = r.srcPort < r.dstPort ? [r.srcPort, r.dstPort] : [r.dstPort, r.srcPort];
    const key = `${lo}<>${hi}`;
    const leg = byPair.get(key) ?? { ports: key, events: [] };
    byPair.set(key, leg);
    const kind = classify(r.payload);
    if (kind === 'srtp' && leg.events.some((e) => e.kind === 'srtp')) continue;
    if (kind === 'stun-req' || kind === 'other') continue;
    if (kind === 'stun-ok' && leg.events.some((e) => e.kind === 'stun-ok')) continue;
    leg.events.push({ atMs: r.atUs / 1000, kind, dir: `${r.srcPort}→${r.dstPort}` });
  }
  return [...byPair.values()].filter((l) => l.events.some((e) => e.kind === 'ClientHello'));
}

function summarize(leg: Leg) {
  const t0 = leg.events.find((e) => e.kind === 'stun-ok')?.atMs ?? leg.events[0]!.atMs;
  const hellos = leg.events.filter((e) => e.kind === 'ClientHello');
  const srtp = leg.events.find((e) => e.kind === 'srtp');
  return {
    ports: leg.ports, client: hellos[0]!.dir.split('→')[0]!, firstAt: leg.events[0]!.atMs,
    firstHello: hellos[0]!.atMs - t0, hellos: hellos.length, lastHello: hellos.at(-1)!.atMs - t0,
    serverHello: (leg.events.find((e) => e.kind === 'ServerHello')?.atMs ?? NaN) - t0,
    srtp: (srtp?.atMs ?? NaN) - t0,
    trace: leg.events.slice(0, 14).map((e) => `${Math.round(e.atMs - t0)} ${e.kind} ${e.dir}`).join(' | '),
  };
}

/** Relay A's Janus takes its ICE ports from the default range (31001-32000): a leg with one there is a pull. */
const A_ICE = { from: 31001, to: 32000 };

/** Pull legs by port; the others, in the order they were made, alternate viewer, WCS player (one each per pull). */
function labelled<T extends { ports: string; firstAt: number }>(all: T[]): (T & { type: 'pull' | 'viewer' | 'WCS player' })[] {
  const isPull = (l: T) => l.ports.split('<>').map(Number).some((p) => p >= A_ICE.from && p <= A_ICE.to);
  let other = 0;
  return [...all].sort((x, y) => x.firstAt - y.firstAt)
    .map((l) => ({ ...l, type: isPull(l) ? 'pull' as const : (other++ % 2 === 0 ? 'viewer' as const : 'WCS player' as const) }));
}

const ns = NetNamespace.create();
let close = async () => undefined as unknown;
const relays: RelayProcess[] = [];
try {
  const a = await RelayProcess.start(ns, { SIPHON_LOG_LEVEL: 'info' });
  const b = await RelayProcess.start(ns, { ...RelayProcess.slot(1), SIPHON_LOG_LEVEL: 'info' });
  relays.push(a, b);
  let browser;
  ({ browser, close } = await launchBrowser(ns));
  const pub = await openTwoWay(browser, a.pageUrl);
  await publishOn(pub.page, 'flights');
  const post = (path: string, body: unknown) => fetch(`${b.url}/rest-api/pull/${path}`, { method: 'POST', body: JSON.stringify(body) });
  const status = async (name: string) => ((await (await post('find_all', {})).json().catch(() => [])) as { localStreamName: string; status: string }[])
    .find((p) => p.localStreamName === name)?.status;
  const records = await captureWhile(ns.name, async () => {
    for (let i = 0; i < PULLS; i++) {
      const name = `f-${i}`;
      await post('pull', { uri: a.innerWsUrl, remoteStreamName: 'flights', localStreamName: name });
      await waitFor(() => status(name), (s) => s === 'PLAYING', 20_000, 5);
      const viewer = await openViewer(browser, b.pageUrl, name);
      await viewer.close();
      const player = await openPlayer(browser, b.pageUrl, name);
      await player.page.close();
      await post('terminate', { localStreamName: name });
    }
  }, 64);
  const all = labelled(legs(records).map(summarize));
  console.log(`\nDTLS flights on ${machine()}; ${PULLS} pulls, each watched once`);
  const report = new BenchReport('DTLS', { conditions: `${PULLS} pulls, each watched once in the viewer page and once in the SDK's Player page; two relays and Chromium on the same cores` });
  report.table('per leg (ms from the first ICE success on the leg)', ['leg', 'ports', 'DTLS client', 'ClientHello', 'ClientHellos', 'last ClientHello', 'ServerHello', 'first SRTP'],
    all.map((l) => [l.type, l.ports, l.client, Math.round(l.firstHello), l.hellos, Math.round(l.lastHello), Math.round(l.serverHello), Math.round(l.srtp)]));
  const slow = all.filter((l) => l.srtp > 500);
  for (const l of slow) console.log(`slow leg ${l.ports}: ${l.trace}`);
  report.table('summary', ['leg', 'legs', 'with a repeated ClientHello', 'first SRTP p50', 'p95', 'max'],
    (['pull', 'viewer', 'WCS player'] as const).map((type) => {
      const of = all.filter((l) => l.type === type);
      const srtp = of.map((l) => l.srtp);
      report.figures({ [`${type.replace(' ', '')}.repeatedHellos`]: of.filter((l) => l.hellos > 1).length, [`${type.replace(' ', '')}.firstSrtpP95Ms`]: Math.round(percentile(srtp, 95)) });
      return [type, of.length, of.filter((l) => l.hellos > 1).length, Math.round(percentile(srtp, 50)), Math.round(percentile(srtp, 95)), Math.round(Math.max(...srtp))];
    }));
  report.write();
} finally {
  await close();
  await Promise.all(relays.map((r) => r.stop()));
  ns.destroySync();
}
