/**
 * The throughput of the edge's one Durable Object, measured in `wrangler dev` (the local workerd, in a test namespace):
 * 50 relays join, then CLIENTS concurrent loops send heartbeats for WINDOW_MS. A heartbeat is one call into the
 * object (the member's row read and written, its copies' idle check), the edge's busiest steady write. What Cloudflare's own objects sustain is in ../shared/notes (about 1000 requests/s each);
 * this is the same code on this machine's two cores, the edge and the clients sharing them.
 */
import { NetNamespace } from '../test/harness/netns.ts';
import { EdgeProcess } from '../test/harness/edge-process.ts';

const CLIENTS = 16;
const RELAYS = 50;
const WINDOW_MS = 10_000;
const JOIN = 'bench-join-token';

export interface Throughput { clients: number; perSecond: number; p50Ms: number; p99Ms: number }

/** CLIENTS loops calling `call(n)` for WINDOW_MS. */
async function load(call: (n: number) => Promise<Response>): Promise<Throughput> {
  const latencies: number[] = [];
  const until = Date.now() + WINDOW_MS;
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    for (let n = c; Date.now() < until; n += CLIENTS) {
      const t0 = performance.now();
      const res = await call(n);
      await res.arrayBuffer();
      latencies.push(performance.now() - t0);
    }
  }));
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { clients: CLIENTS, perSecond: latencies.length / (WINDOW_MS / 1000), p50Ms: at(0.5), p99Ms: at(0.99) };
}

/** Heartbeats, and beside them a route that answers without the object (the same clients): what wrangler dev itself costs. */
export async function measureObjectThroughput(): Promise<{ heartbeats: Throughput; withoutObject: Throughput }> {
  const ns = NetNamespace.create();
  let edge: EdgeProcess | undefined;
  try {
    edge = await EdgeProcess.start(ns, { RELAYS: '[]', RELAY_JOIN_TOKEN: JOIN });
    const url = edge.url;
    const credentials = await Promise.all(Array.from({ length: RELAYS }, async (_, i) => {
      const res = await fetch(`${url}/rest-api/relay/join`, { method: 'POST', headers: { authorization: `Bearer ${JOIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: `bench${i}`, url: `http://192.0.2.${i + 1}:8080` }) });
      return ((await res.json()) as { credential: string }).credential;
    }));
    const heartbeats = await load(async (n) => {
      const i = n % RELAYS;
      const res = await fetch(`${url}/rest-api/relay/heartbeat`, { method: 'POST', headers: { authorization: `Bearer ${credentials[i]}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: `bench${i}`, load: { viewers: n % 500, pulls: 3, cpu: 40, egressBps: 1e6 } }) });
      if (res.status !== 200) throw new Error(`heartbeat answered ${res.status}`);
      return res;
    });
    const withoutObject = await load(() => fetch(`${url}/rest-api/no-such-route`));
    return { heartbeats, withoutObject };
  } finally {
    await edge?.stop();
    ns.destroySync();
  }
}
