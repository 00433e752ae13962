/**
 * The link emulator's own cost and accuracy: CPU of linkem (pinned to one core) while it forwards 1000
 * packets/s of 1200 B each way, and the round trip it adds beyond what it is told, beside the same probe
 * over a plain veth between two namespaces (the baseline, same run).
 * Run: node --import tsx bench/link-emulator.ts [seconds=20]
 */
import { execFileSync } from 'node:child_process';
import { NamespaceLink, NetNamespace } from '../test/harness/netns.ts';
import { ImpairedLink } from '../test/harness/impaired-link.ts';
import { probeUdp, startEcho } from '../test/harness/link-probe.ts';
import { cpuSeconds, machine,  } from './lib.ts';
import { BenchReport } from './report.ts';

const SECONDS = Number(process.argv[2] ?? 20);
const PORT = 9010;
const rows: (string | number)[][] = [];
const nsA = NetNamespace.create();
const nsB = NetNamespace.create();
let link: ImpairedLink | undefined;
try {
  const plain = await NamespaceLink.create(nsA, nsB);
  link = await ImpairedLink.create(nsA, nsB, 4);
  const linkem = Number(execFileSync('ip', ['netns', 'pids', link.wire.name], { encoding: 'utf8' }).trim().split('\n')[0]);
  execFileSync('taskset', ['-pc', '1', String(linkem)]);
  const echo = await startEcho(nsB, PORT);
  const probe = (host: string, count: number, gapMs: number) => probeUdp(nsA, host, PORT, count, gapMs);

  const base = await probe(plain.addressB, 500, 2);
  rows.push(['plain veth (baseline)', 'none', base.rttMs.p50.toFixed(2), base.rttMs.p95.toFixed(2), base.lossPct.toFixed(1), '—']);
  const clean = await probe(link.addressB, 500, 2);
  rows.push(['linkem', 'none', clean.rttMs.p50.toFixed(2), clean.rttMs.p95.toFixed(2), clean.lossPct.toFixed(1), '—']);
  await link.set('both', { delayMs: 20 });
  const fixed = await probe(link.addressB, 500, 2);
  rows.push(['linkem', '20 ms each way', fixed.rttMs.p50.toFixed(2), fixed.rttMs.p95.toFixed(2), fixed.lossPct.toFixed(1),
    `adds ${(fixed.rttMs.p50 - 40 - base.rttMs.p50).toFixed(2)} ms beyond 40`]);
  await link.set('both', { delayMs: 50, jitterMs: 15, lossPct: 2 });
  const lossy = await probe(link.addressB, 2000, 2);
  rows.push(['linkem', '50 ± 15 ms, 2 % each way', lossy.rttMs.p50.toFixed(2), lossy.rttMs.p95.toFixed(2), lossy.lossPct.toFixed(2), 'expected loss 3.96 %']);

  // 1000 packets/s of 1200 B each way for SECONDS: what one forwarded packet costs.
  await link.set('both', { delayMs: 50, jitterMs: 15, lossPct: 0 });
  const flood = nsA.spawn(process.execPath, ['-e', `
    const s = require('node:dgram').createSocket('udp4'); const b = Buffer.alloc(1200);
    setInterval(() => s.send(b, ${PORT}, '${link.addressB}'), 1);
    setTimeout(() => process.exit(0), ${SECONDS * 1000});`], { stdio: 'ignore' });
  const cpu0 = cpuSeconds(linkem);
  const stats0 = await link.stats();
  await new Promise((r) => flood.once('exit', r));
  const cpu = cpuSeconds(linkem) - cpu0;
  const stats1 = await link.stats();
  const forwarded = stats1.ab.out - stats0.ab.out + stats1.ba.out - stats0.ba.out;
  rows.push(['linkem, 1200 B packets', `${Math.round(forwarded / SECONDS)} pkt/s forwarded`, '', '', '',
    `${((100 * cpu) / SECONDS).toFixed(1)} % of a core, ${((cpu / forwarded) * 1e6).toFixed(1)} µs a packet`]);
  echo.stop();
  const report = new BenchReport('linkem', { conditions: `${SECONDS} s flood; linkem pinned to core 1, the probes and the flood unpinned` });
  report.table(`Link emulator (linkem pinned to core 1; ${machine()})`, ['path', 'told', 'RTT p50 ms', 'RTT p95 ms', 'loss %', 'note'], rows);
  report.figures({
    cpuPctPer1000PacketsPerS: (100 * cpu) / SECONDS / (forwarded / SECONDS / 1000), beyondToldMs: fixed.rttMs.p50 - 40 - base.rttMs.p50,
    lossPctAt2PctEachWay: lossy.lossPct, rttP50MsAt50EachWay: lossy.rttMs.p50,
  });
  report.baseline('a plain veth between the same namespaces', { rttP50Ms: base.rttMs.p50 });
  report.write();
} finally {
  await link?.destroy();
  nsA.destroySync();
  nsB.destroySync();
}
