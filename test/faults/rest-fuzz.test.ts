/**
 * R4: over a thousand malformed REST requests (bodies, types, sizes, headers, methods) against the
 * relay and against the edge (wrangler dev): only 2xx/4xx answers, no crash, and no state change.
 */
import { recordFaultFigures } from '../harness/fault-figures.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { EdgeProcess } from '../harness/edge-process.ts';
import { malformedRequests, type FuzzRequest } from '../harness/fuzz.ts';

const PATHS = ['/rest-api/pull/pull', '/rest-api/pull/pull', '/rest-api/pull/pull', '/rest-api/pull/find_all',
  '/rest-api/pull/terminate', '/rest-api/stream/find', '/rest-api/stream/terminate', '/rest-api/stream/find_all',
  '/rest-api/pull/', '/rest-api/%2e%2e/health', '/rest-api/pull/pull?x=1'];

/** The figures a fuzz run is judged by: how many requests, how many got a 5xx. */
const answers = (codes: Map<number, number>) => ({
  requests: [...codes.values()].reduce((a, n) => a + n, 0), answered5xx: [...codes].filter(([code]) => code >= 500).reduce((a, [, n]) => a + n, 0),
});

async function fire(base: string, requests: FuzzRequest[]): Promise<Map<number, number>> {
  const codes = new Map<number, number>();
  const bad: string[] = [];
  for (const [i, r] of requests.entries()) {
    let status: number;
    try {
      const res = await fetch(base + r.path, { method: r.method, headers: r.headers, body: r.body });
      status = res.status;
      await res.arrayBuffer();
    } catch (err) {
      bad.push(`#${i} ${r.method} ${r.path}: ${(err as Error).message}`);
      continue;
    }
    codes.set(status, (codes.get(status) ?? 0) + 1);
    if (status >= 500 || (r.path.startsWith('/rest-api/pull/pull') && r.method === 'POST' && status === 200)) {
      bad.push(`#${i} ${r.method} ${r.path} → ${status} (body ${JSON.stringify(r.body?.slice(0, 120))})`);
    }
  }
  expect(bad).toEqual([]);
  return codes;
}

describe('R4: malformed REST requests', () => {
  let ns: NetNamespace;
  let relay: RelayProcess;
  let edge: EdgeProcess;

  beforeAll(async () => {
    ns = NetNamespace.create();
    relay = await RelayProcess.start(ns, { ...RelayProcess.slot(1), SIPHON_DEMO_STREAM: 'steady' });
    edge = await EdgeProcess.start(ns, { RELAYS: JSON.stringify([{ id: 'b', url: 'http://127.0.0.1:9080' }]) });
  });

  afterAll(async () => {
    await edge?.stop();
    await relay?.stop();
    ns?.destroySync();
  });

  const relayState = async () => ({
    pulls: (await fetch(`${relay.url}/rest-api/pull/find_all`)).status,
    streams: await (await fetch(`${relay.url}/api/streams`)).json() as { name: string }[],
    health: (await fetch(`${relay.url}/health`)).status,
  });

  it('relay: 1000 requests, only 2xx/4xx, nothing created, still healthy', async () => {
    const before = await relayState();
    const codes = await fire(relay.url, malformedRequests(1000, 0x5eed1, PATHS));
    console.log(`relay answers: ${JSON.stringify(Object.fromEntries(codes))}`);
    const after = await relayState();
    expect(after.pulls).toBe(404);
    expect(after.streams.map((s) => s.name)).toEqual(before.streams.map((s) => s.name));
    expect(after.health).toBe(200);
    expect(relay.child.exitCode).toBeNull();
    expect(relay.lines.some((l) => l.event === 'pull.created')).toBe(false);
    recordFaultFigures('R4', 'malformed REST requests to relay B (bodies, types, sizes, headers, methods)', answers(codes), 'relay');
  });

  it('edge: 1000 requests, only 2xx/4xx, no record or claim, still answering', async () => {
    const codes = await fire(edge.url, malformedRequests(1000, 0x5eed2, PATHS.filter((p) => p.includes('/pull/'))));
    console.log(`edge answers: ${JSON.stringify(Object.fromEntries(codes))}`);
    recordFaultFigures('R4', 'malformed REST requests to the edge', answers(codes), 'edge');
    expect((await fetch(`${edge.url}/rest-api/pull/find_all`)).status).toBe(404);
    expect((await fetch(`${relay.url}/rest-api/pull/find_all`)).status).toBe(404);
    const ok = await fetch(`${edge.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: 'ws://127.0.0.1:9080', remoteStreamName: 'steady', localStreamName: 'after-fuzz' }) });
    expect(ok.status).toBe(200); // the name space is clean: a real request still works
    expect((await fetch(`${edge.url}/rest-api/pull/terminate`, { method: 'POST', body: '{"localStreamName":"after-fuzz"}' })).status).toBe(200);
  });
});
