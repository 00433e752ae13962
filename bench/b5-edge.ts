/**
 * B5 edge: requests/s and latency of pull, find_all (with 1000 records) and terminate against
 * `wrangler dev` (real workerd, local KV and Durable Object). The relay behind it is a stub HTTP
 * server that answers at once, so the numbers are the edge's own.
 * find_all is measured with one client and with `concurrency` clients: the edge is one workerd isolate on a machine
 * whose 2 cores it shares with the stub relay and the client.
 * Run: node --import tsx bench/b5-edge.ts [records=1000] [concurrency=8]
 */
import { createServer } from 'node:http';
import { NetNamespace } from '../test/harness/netns.ts';
import { EdgeProcess } from '../test/harness/edge-process.ts';
import { machine, ms, percentile,  } from './lib.ts';
import { BenchReport } from './report.ts';

const RECORDS = Number(process.argv[2] ?? 1000);
const CONCURRENCY = Number(process.argv[3] ?? 8);
const FIND_ALLS = 100;

const ns = NetNamespace.create();
/** What a relay answers for a pull (the contract's RelayPullRecord: the edge parses it). */
const record = (b: { uri: string; remoteStreamName: string; localStreamName: string }) => ({
  ...b, localMediaSessionId: `l-${b.localStreamName}`, remoteMediaSessionId: `r-${b.localStreamName}`, status: 'PLAYING', info: '',
  attempts: 1, since: new Date().toISOString(), lastError: null, videoCodec: 'VP8', audioCodec: 'opus',
  bitrates: { averageInKbps: 1500, bytesIn: 1 }, players: 0, direction: 'pull',
});
const pulls = new Map<string, object>();
const stub = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    const send = (code: number, value: unknown) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(value)); };
    if (req.url === '/health') return send(200, { status: 'ok' });
    if (req.url === '/rest-api/pull/pull') { const b = JSON.parse(body); pulls.set(b.localStreamName, record(b)); return send(200, pulls.get(b.localStreamName)); }
    if (req.url === '/rest-api/pull/find_all') return pulls.size ? send(200, [...pulls.values()]) : send(404, { error: 'not_found' });
    if (req.url === '/rest-api/pull/terminate') return pulls.delete(JSON.parse(body).localStreamName) ? send(200, []) : send(404, { error: 'not_found' });
    send(404, { error: 'not_found' });
  });
});

async function run(label: string, count: number, request: (i: number) => Promise<Response>, expect: number, concurrency = CONCURRENCY): Promise<(string | number)[]> {
  const latencies: number[] = [];
  let next = 0;
  let wrong = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      const s = performance.now();
      const res = await request(i);
      await res.arrayBuffer();
      latencies.push(performance.now() - s);
      if (res.status !== expect) wrong += 1;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  return [label, count, Math.round(count / seconds), ms(percentile(latencies, 50)), ms(percentile(latencies, 99)), wrong];
}

let edge: EdgeProcess | undefined;
try {
  await new Promise<void>((r) => stub.listen(0, ns.hostAddress, r));
  const port = (stub.address() as { port: number }).port;
  edge = await EdgeProcess.start(ns, { RELAYS: JSON.stringify([{ id: 'stub', url: `http://${ns.hostAddress}:${port}` }]) });
  const url = edge.url;
  const post = (path: string, body?: unknown) => fetch(`${url}/rest-api/pull/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const rows = [
    await run('POST pull', RECORDS, (i) => post('pull', { uri: 'ws://wcs.example:8080', remoteStreamName: 's', localStreamName: `b5-${i}` }), 200),
    await run(`POST find_all (${RECORDS} records), 1 client`, FIND_ALLS, () => post('find_all'), 200, 1),
    await run(`POST find_all (${RECORDS} records), ${CONCURRENCY} clients`, FIND_ALLS, () => post('find_all'), 200),
    await run('POST terminate', RECORDS, (i) => post('terminate', { localStreamName: `b5-${i}` }), 200),
  ];
  console.log(`machine: ${machine()}`);
  const report = new BenchReport('B5', { variant: RECORDS === 1000 ? '' : `records${RECORDS}`, conditions: `${RECORDS} records, ${CONCURRENCY} concurrent clients unless said; wrangler dev and the stub relay on the same cores` });
  report.table(`B5 edge under wrangler dev (${CONCURRENCY} concurrent clients unless said; stub relay)`, ['call', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'unexpected status'], rows);
  const p99 = (row: (string | number)[]) => Number(row[4]);
  report.figures({
    records: RECORDS, clients: CONCURRENCY, findAllP99Ms: p99(rows[1]!), findAllConcurrentP99Ms: p99(rows[2]!),
    pullP99Ms: p99(rows[0]!), terminateP99Ms: p99(rows[3]!), unexpectedStatus: rows.reduce((n, r) => n + Number(r[5]), 0),
  });
  report.write();
} finally {
  await edge?.stop();
  stub.close();
  ns.destroySync();
}
