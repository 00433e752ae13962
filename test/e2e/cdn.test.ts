/**
 * The CDN with real parts: relay a publishes (the origin), four relays join a `wrangler dev` edge by themselves, each
 * telling it one viewer is its share (SIPHON_EDGE_CAPACITY=1), and real WebRTC receivers (werift over WHEP) ask the
 * edge where to play. The first viewer plays on the pull's relay; each later one gets an on-demand copy on a member
 * that pulls from a copy with room (FANOUT=2), so the origin serves one pull and no relay feeds more than two. A
 * middle relay killed with SIGKILL: its child re-parents and plays again, and its viewer, asking the edge again, plays
 * elsewhere. A copy whose viewer leaves is dropped after IDLE_SECONDS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { EdgeProcess } from '../harness/edge-process.ts';
import { WhepViewer } from '../harness/whep-viewer.ts';

const JOIN_TOKEN = 'cdn-e2e-join-token';
const MEMBERS = ['m1', 'm2', 'm3', 'm4'] as const;

interface Copy { relay: string; parent: string; children: string[]; status: string }
interface Record { localStreamName: string; relay: string; status: string; replicas: { relay: string; children?: string[] }[]; copies?: Copy[] }

describe('the CDN: pull on demand', () => {
  let ns: NetNamespace;
  let origin: RelayProcess;
  let edge: EdgeProcess;
  const members = new Map<string, RelayProcess>();
  const viewers: WhepViewer[] = [];

  beforeAll(async () => {
    ns = NetNamespace.create();
    origin = await RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'demo', SIPHON_DEMO_KBPS: '300', SIPHON_DEMO_SIZE: '320x180' });
    edge = await EdgeProcess.start(ns, { RELAYS: '[]', RELAY_JOIN_TOKEN: JOIN_TOKEN, FANOUT: '2', IDLE_SECONDS: '3', HEARTBEAT_SECONDS: '1', MEMBER_EXPIRE_SECONDS: '3' });
    const started = await Promise.all(MEMBERS.map((id, i) => {
      const slot = RelayProcess.slot(i + 1);
      return RelayProcess.start(ns, { ...slot, SIPHON_EDGE_URL: 'http://127.0.0.1:8787', SIPHON_EDGE_JOIN_TOKEN: JOIN_TOKEN, SIPHON_RELAY_ID: id,
        SIPHON_PUBLIC_URL: `http://${ns.address}:${slot.SIPHON_WS_PORT}`, SIPHON_EDGE_CAPACITY: '1' });
    }));
    MEMBERS.forEach((id, i) => members.set(id, started[i]!));
    await Promise.all(started.map((r) => r.waitFor((l) => l.event === 'edge_link.state' && l.to === 'member', 10_000)));
  });

  afterAll(async () => {
    await Promise.all(viewers.map((v) => v.close()));
    await Promise.all([...members.values()].map((r) => r.stop()));
    await edge?.stop();
    await origin?.stop();
    ns?.destroySync();
  });

  const record = async () => ((await (await fetch(`${edge.url}/rest-api/pull/find_all`)).json()) as Record[]).find((r) => r.localStreamName === 'cdn')!;
  /** What a player does: ask the edge, follow the 307 to a relay's WHEP, play. */
  const watch = async () => {
    const res = await fetch(`${edge.url}/rest-api/play/cdn?proto=whep`, { redirect: 'manual' });
    expect(res.status).toBe(307);
    const body = await res.json() as { relay: string; onDemand?: boolean };
    const viewer = await WhepViewer.open(res.headers.get('location')!);
    viewers.push(viewer);
    await viewer.firstPacketMs;
    return { relay: body.relay, onDemand: body.onDemand === true, viewer };
  };

  it('the first viewer plays on the pull\'s relay; each next one on a new copy; the origin serves one pull, no relay feeds more than 2', async () => {
    const res = await fetch(`${edge.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: 'ws://127.0.0.1:8080', remoteStreamName: 'demo', localStreamName: 'cdn' }) });
    expect(res.status).toBe(200);
    await expect.poll(async () => (await record()).status, { timeout: 15_000 }).toBe('PLAYING');
    const root = (await record()).relay;
    const served = [];
    for (let i = 0; i < 4; i += 1) served.push(await watch());
    expect(served[0]).toMatchObject({ relay: root, onDemand: false });
    expect(served.slice(1).every((s) => s.onDemand)).toBe(true);
    expect(new Set(served.map((s) => s.relay)).size).toBe(4);
    const r = await record();
    expect(r.copies).toHaveLength(3);
    expect(r.replicas[0]!.children!.length).toBe(2);
    for (const c of r.copies!) expect(c.children.length).toBeLessThanOrEqual(2);
    expect(r.copies!.every((c) => c.status === 'PLAYING')).toBe(true);
    const atOrigin = (await (await fetch(`${origin.url}/rest-api/stream/find_all`, { method: 'POST' })).json() as { name: string; mediaType: string }[]);
    expect(atOrigin.filter((s) => s.name === 'demo' && s.mediaType === 'play')).toHaveLength(1);
  });

  it('a middle relay killed: its child re-parents and plays again, and its viewer, asking the edge again, plays elsewhere', async () => {
    const before = await record();
    const middle = before.copies!.find((c) => c.children.length > 0) ?? before.copies!.find((c) => c.parent === before.relay)!;
    const child = middle.children[0];
    const relay = members.get(middle.relay)!;
    relay.child.kill('SIGKILL');
    await relay.exited;
    members.delete(middle.relay);
    if (child) {
      await expect.poll(async () => (await record()).copies!.find((c) => c.relay === child), { timeout: 5_000 })
        .toMatchObject({ status: 'PLAYING', parent: expect.not.stringMatching(`^${middle.relay}$`) });
    }
    const again = await watch();
    expect(again.relay).not.toBe(middle.relay);
  });

  it('a copy whose viewers leave is dropped after IDLE_SECONDS, and its relay stops the pull', async () => {
    const r = await record();
    const leaf = r.copies!.find((c) => c.children.length === 0 && members.has(c.relay))!;
    const mine = viewers.splice(0);
    await Promise.all(mine.map((v) => v.close()));
    await expect.poll(async () => (await record()).copies?.some((c) => c.relay === leaf.relay) ?? false, { timeout: 15_000 }).toBe(false);
    const relay = members.get(leaf.relay)!;
    await relay.waitFor((l) => l.event === 'pull.state' && l.stream === 'cdn' && l.to === 'TERMINATED', 5_000);
  });
});
