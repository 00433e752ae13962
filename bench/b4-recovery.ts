/**
 * B4 recovery: the origin relay (A) is killed and started again; how long from A answering again until
 * B's pull is PLAYING. Second row: B's own Janus SIGKILLed; from the kill until PLAYING.
 * Run: node --import tsx bench/b4-recovery.ts [cycles=10]
 */
import { NetNamespace } from '../test/harness/netns.ts';
import { RelayProcess, type LogLine } from '../test/harness/relay-process.ts';
import { machine, ms, percentile, waitFor } from './lib.ts';
import { BenchReport } from './report.ts';

const CYCLES = Number(process.argv[2] ?? 10);

/** Relay B's log after each kill: Janus seen dead, restarted, up; the pull's next attempt answered and up. */
function killProfile(lines: LogLine[], kills: number[]): [string, number[]][] {
  const steps: [string, (l: LogLine) => boolean][] = [
    ['Janus exit seen', (l) => l.event === 'janus.exited' || (l.event === 'janus.state' && l.to === 'down')],
    ['Janus spawned again (after the restart backoff)', (l) => l.event === 'janus.spawned'],
    ['Janus up (answers its API)', (l) => l.event === 'janus.state' && l.to === 'up'],
    ['pull: origin answered the new attempt', (l) => l.event === 'pull.answered'],
    ['pull PLAYING (ICE + DTLS)', (l) => l.event === 'pull.state' && l.to === 'PLAYING'],
  ];
  const timed = lines.map((l) => ({ l, t: Date.parse(String(l.t)) }));
  return steps.map(([step, match]) => [step, kills.map((k, i) => {
    const next = kills[i + 1] ?? Infinity;
    return (timed.find(({ l, t }) => t >= k && t < next && match(l))?.t ?? NaN) - k;
  }).filter((x) => Number.isFinite(x))]);
}
const ns = NetNamespace.create();
let a: RelayProcess | undefined;
let b: RelayProcess | undefined;
try {
  const aEnv = { SIPHON_DEMO_STREAM: 'origin', SIPHON_LOG_LEVEL: 'info' };
  [a, b] = await Promise.all([RelayProcess.start(ns, aEnv), RelayProcess.start(ns, { ...RelayProcess.slot(1), SIPHON_LOG_LEVEL: 'info', SIPHON_JANUS_HEALTH_INTERVAL_MS: '500' })]);
  const relayB = b;
  const status = async () => ((await (await fetch(`${relayB.url}/rest-api/pull/find_all`)).json()) as { status: string }[])[0]?.status;
  await fetch(`${b.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: a.innerWsUrl, remoteStreamName: 'origin', localStreamName: 'copy' }) });
  await waitFor(status, (s) => s === 'PLAYING', 20_000);

  const originBack: number[] = [];
  for (let i = 0; i < CYCLES; i++) {
    a.child.kill('SIGKILL');
    await a.exited;
    await waitFor(status, (s) => s === 'FAILED', 20_000);
    a = await RelayProcess.start(ns, aEnv);
    const back = performance.now();
    await waitFor(status, (s) => s === 'PLAYING', 60_000, 5);
    originBack.push(performance.now() - back);
  }

  const janusBack: number[] = [];
  const kills: number[] = [];
  for (let i = 0; i < CYCLES; i++) {
    const { janus } = await (await fetch(`${b.url}/health`)).json() as { janus: { pid: number } };
    kills.push(Date.now());
    const killed = performance.now();
    process.kill(janus.pid, 'SIGKILL');
    await waitFor(status, (s) => s !== 'PLAYING', 10_000, 5);
    await waitFor(status, (s) => s === 'PLAYING', 60_000, 5);
    janusBack.push(performance.now() - killed);
  }

  console.log(`machine: ${machine()}`);
  const report = new BenchReport('B4', { conditions: `${CYCLES} cycles each; origin and B in one namespace on the same cores` });
  report.table(`B4 recovery (${CYCLES} cycles each, ms)`, ['event', 'p50', 'p95', 'max'], [
    ['origin relay back (ready) → pull PLAYING', ms(percentile(originBack, 50)), ms(percentile(originBack, 95)), ms(Math.max(...originBack))],
    ["SIGKILL of B's Janus → pull PLAYING", ms(percentile(janusBack, 50)), ms(percentile(janusBack, 95)), ms(Math.max(...janusBack))],
  ]);
  report.table("Where a SIGKILL's recovery goes (relay B's log, ms from the kill; p50 / max)", ['step', 'p50', 'max'],
    killProfile(b.lines, kills).map(([step, xs]) => [step, ms(percentile(xs, 50)), ms(Math.max(...xs))]));
  report.figures({
    cycles: CYCLES, originBackP50Ms: ms(percentile(originBack, 50)), originBackP95Ms: ms(percentile(originBack, 95)),
    janusKillP50Ms: ms(percentile(janusBack, 50)), janusKillP95Ms: ms(percentile(janusBack, 95)),
  });
  report.write();
} finally {
  await Promise.all([a?.stop(), b?.stop()]);
  ns.destroySync();
}
