/**
 * Replicas through the edge with real relays: a pull with `replicas: 2` plays on two relays; `/rest-api/play`
 * answers 307 to a relay that plays it; one of them is SIGKILLed → the route points to the other, and one scheduled run
 * (MOVE_AFTER_SECONDS 0) starts the second replica on the third relay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { EdgeProcess } from '../harness/edge-process.ts';
import { rendezvous } from '../../contract/rendezvous.ts';

describe('edge replicas and viewer routing', () => {
  let ns: NetNamespace;
  let relays: RelayProcess[] = [];
  let edge: EdgeProcess;
  const ports = { a: 8080, b: 9080, c: 11080 };
  const env = { a: { SIPHON_DEMO_STREAM: 'demo' }, b: RelayProcess.slot(1), c: RelayProcess.slot(2) };

  beforeAll(async () => {
    ns = NetNamespace.create();
    relays = await Promise.all((['a', 'b', 'c'] as const).map((id) => RelayProcess.start(ns, env[id])));
    edge = await EdgeProcess.start(ns, {
      MOVE_AFTER_SECONDS: '0',
      RELAYS: JSON.stringify((['a', 'b', 'c'] as const).map((id) => ({ id, url: `http://127.0.0.1:${ports[id]}`, hls: `http://127.0.0.1:${ports[id] + 2}` }))),
    });
  });

  afterAll(async () => {
    await edge?.stop();
    await Promise.all(relays.map((r) => r.stop()));
    ns?.destroySync();
  });

  const replicas = async (name: string) => ((await (await fetch(`${edge.url}/rest-api/pull/find_all`)).json()) as { localStreamName: string; replicas: { relay: string; status: string }[] }[])
    .find((r) => r.localStreamName === name)!.replicas.map((r) => `${r.relay}:${r.status}`).sort();
  const route = async (name: string, proto: string) => {
    const res = await fetch(`${edge.url}/rest-api/play/${name}?proto=${proto}`, { redirect: 'manual' });
    return { status: res.status, location: res.headers.get('location') };
  };

  it('replicas: 2 play on two relays; play routes to one; one is killed → routed to the other, and the scheduled run replaces it', async () => {
    const ids = ['a', 'b', 'c'].map((id) => ({ id }));
    const name = Array.from({ length: 50 }, (_, i) => `rep-${i}`).find((n) => rendezvous(ids, n).slice(0, 2).map((r) => r.id).sort().join() === 'b,c')!;
    const res = await fetch(`${edge.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: 'ws://127.0.0.1:8080', remoteStreamName: 'demo', localStreamName: name, replicas: 2 }) });
    expect(res.status).toBe(200);
    await expect.poll(() => replicas(name), { timeout: 20_000 }).toEqual(['b:PLAYING', 'c:PLAYING']);

    const first = await route(name, 'whep');
    expect(first.status).toBe(307);
    expect([`http://127.0.0.1:9080/whep/${name}`, `http://127.0.0.1:11080/whep/${name}`]).toContain(first.location);
    const hls = await route(name, 'hls');
    expect(hls.location).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:(9082|11082)/${name}/${name}\\.m3u8$`));

    relays[1]!.child.kill('SIGKILL'); // b
    await relays[1]!.exited;
    expect(await route(name, 'whep')).toEqual({ status: 307, location: `http://127.0.0.1:11080/whep/${name}` });
    await edge.runScheduled();
    await expect.poll(() => replicas(name), { timeout: 20_000 }).toEqual(['a:PLAYING', 'c:PLAYING']);
    expect((await fetch(`${edge.url}/rest-api/pull/terminate`, { method: 'POST', body: JSON.stringify({ localStreamName: name }) })).status).toBe(200);
  });
});
