/**
 * Relays that join by themselves, with real relays and `wrangler dev`: an edge with no RELAYS at all; two relays given
 * only its URL and join token join, take a pull (through their own REST keys: the edge calls with the credential it
 * gave), and are routed viewers; SIGTERM on the relay that holds the pull drains it: the pull plays on the other one
 * before the first exits, and the edge lists it no more. Relay a is only the origin here (its demo stream).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { EdgeProcess } from '../harness/edge-process.ts';

const JOIN_TOKEN = 'e2e-join-token';
const OPS_KEY = 'e2e-ops-key';
const REST_KEYS = JSON.stringify({ ops: { scopes: ['stat'], hashes: [`sha256:${createHash('sha256').update(OPS_KEY).digest('hex')}`] } });

describe('relays that join the edge by themselves', () => {
  let ns: NetNamespace;
  let origin: RelayProcess;
  let edge: EdgeProcess;
  const members: Record<string, RelayProcess> = {};
  const slots = { b: 1, c: 2 } as const;

  const memberEnv = (id: 'b' | 'c') => {
    const slot = RelayProcess.slot(slots[id]);
    return { ...slot, SIPHON_EDGE_URL: 'http://127.0.0.1:8787', SIPHON_EDGE_JOIN_TOKEN: JOIN_TOKEN, SIPHON_RELAY_ID: id,
      SIPHON_PUBLIC_URL: `http://127.0.0.1:${slot.SIPHON_WS_PORT}`, SIPHON_REGION: 'test', SIPHON_REST_KEYS: REST_KEYS };
  };

  beforeAll(async () => {
    ns = NetNamespace.create();
    origin = await RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'demo' });
    edge = await EdgeProcess.start(ns, { RELAYS: '[]', RELAY_JOIN_TOKEN: JOIN_TOKEN });
  });

  afterAll(async () => {
    await Promise.all(Object.values(members).map((r) => r.stop()));
    await edge?.stop();
    await origin?.stop();
    ns?.destroySync();
  });

  const listed = async () => (await (await fetch(`${edge.url}/rest-api/relay/find_all`)).json() as { id: string; state: string; load: unknown }[])
    .map((m) => `${m.id}:${m.state}`).sort();
  const replicas = async (name: string) => ((await (await fetch(`${edge.url}/rest-api/pull/find_all`)).json()) as { localStreamName: string; replicas: { relay: string; status: string }[] }[])
    .find((r) => r.localStreamName === name)?.replicas.map((r) => `${r.relay}:${r.status}`) ?? [];

  it('a relay started with the edge\'s URL takes a pull and its viewers with no change to the edge', async () => {
    [members.b, members.c] = await Promise.all([RelayProcess.start(ns, memberEnv('b')), RelayProcess.start(ns, memberEnv('c'))]);
    await expect.poll(listed, { timeout: 10_000 }).toEqual(['b:active', 'c:active']);
    const res = await fetch(`${edge.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: 'ws://127.0.0.1:8080', remoteStreamName: 'demo', localStreamName: 'joined' }) });
    expect(res.status).toBe(200);
    const holder = (await res.json() as { relay: string }).relay;
    await expect.poll(() => replicas('joined'), { timeout: 10_000 }).toEqual([`${holder}:PLAYING`]);
    const route = await fetch(`${edge.url}/rest-api/play/joined?proto=whep`, { redirect: 'manual' });
    expect(route.status).toBe(307);
    expect(route.headers.get('location')).toBe(`${memberEnv(holder as 'b' | 'c').SIPHON_PUBLIC_URL}/whep/joined`);
    // The relay's REST is guarded by its own keys: the edge got in with its credential, a stranger does not.
    expect((await fetch(`${members[holder as 'b']!.url}/rest-api/pull/find_all`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${members[holder as 'b']!.url}/rest-api/pull/find_all`, { method: 'POST', headers: { authorization: `Bearer ${OPS_KEY}` } })).status).toBe(200);
  });

  it('SIGTERM drains the relay that holds the pull: it plays on the other before the first exits, which then is no member', async () => {
    const holder = (await replicas('joined'))[0]!.split(':')[0] as 'b' | 'c';
    const other = holder === 'b' ? 'c' : 'b';
    const relay = members[holder]!;
    relay.child.kill('SIGTERM');
    const left = await relay.waitFor((l) => l.event === 'edge_link.state' && l.to === 'left', 30_000);
    expect(left.info).toBe('moved 1 pull(s)');
    expect(await relay.exited).toBe(0);
    delete members[holder];
    expect(await replicas('joined')).toEqual([`${other}:PLAYING`]);
    expect(await listed()).toEqual([`${other}:active`]);
    const stopped = relay.lines.findIndex((l) => l.event === 'relay.stopped');
    expect(relay.lines.findIndex((l) => l.event === 'edge_link.state' && l.to === 'left')).toBeLessThan(stopped);
  });
});
