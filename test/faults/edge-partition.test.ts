/**
 * R7: the edge loses relay B, which goes on pulling (a partition between edge and relay, not between relay and
 * origin). Three hosts: the origin relay A and relay C on one, relay B on another, the edge (wrangler dev) on a
 * third, each pair on its own wire. B's wire to the edge is cut past MOVE_AFTER_SECONDS → the pull moves to C and
 * plays there; the wire is restored → one reconcile run later B no longer runs it, and from then on the origin
 * serves exactly one pull of the stream.
 */
import { recordFaultFigures } from '../harness/fault-figures.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { NamespaceLink, NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { EdgeProcess } from '../harness/edge-process.ts';
import { rendezvous } from '../../contract/rendezvous.ts';

const MOVE_AFTER_S = 3;

describe('R7: a relay partitioned from the edge, not from its origin', () => {
  let nsO: NetNamespace;
  let nsB: NetNamespace;
  let nsE: NetNamespace;
  let toOrigin: NamespaceLink;
  let edgeToB: NamespaceLink;
  let edgeToO: NamespaceLink;
  let a: RelayProcess;
  let b: RelayProcess;
  let c: RelayProcess;
  let edge: EdgeProcess;
  const cSlot = RelayProcess.slot(1);

  beforeAll(async () => {
    [nsO, nsB, nsE] = [NetNamespace.create(), NetNamespace.create(), NetNamespace.create()];
    [toOrigin, edgeToB, edgeToO] = await Promise.all([NamespaceLink.create(nsB, nsO), NamespaceLink.create(nsE, nsB), NamespaceLink.create(nsE, nsO)]);
    // B's media only on its wire to the origin: cutting the edge's wire must not touch it.
    [a, b, c] = await Promise.all([
      RelayProcess.start(nsO, { SIPHON_DEMO_STREAM: 'origin' }),
      RelayProcess.start(nsB, { SIPHON_ICE_INTERFACES: toOrigin.ifA }),
      RelayProcess.start(nsO, cSlot),
    ]);
    edge = await EdgeProcess.start(nsE, {
      MOVE_AFTER_SECONDS: String(MOVE_AFTER_S),
      RELAYS: JSON.stringify([{ id: 'b', url: `http://${edgeToB.addressB}:8080` }, { id: 'c', url: `http://${edgeToO.addressB}:${cSlot.SIPHON_WS_PORT}` }]),
    });
  });

  afterAll(async () => {
    await edge?.stop();
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
    for (const ns of [nsO, nsB, nsE]) ns?.destroySync();
  });

  const edgeRecord = async (name: string) => ((await (await fetch(`${edge.url}/rest-api/pull/find_all`)).json()) as { localStreamName: string; relay: string; status: string; epoch?: number }[])
    .find((r) => r.localStreamName === name);
  const relayStatus = async (r: RelayProcess, name: string) => {
    const res = await fetch(`${r.url}/rest-api/pull/find_all`);
    return res.status === 404 ? undefined : ((await res.json()) as { localStreamName: string; status: string }[]).find((p) => p.localStreamName === name)?.status;
  };
  /** How many players the origin serves `origin` to: one per pull of it. */
  const originPlayers = async () => ((await (await fetch(`${a.url}/rest-api/stream/find_all`)).json()) as { name: string; mediaType: string }[])
    .filter((s) => s.mediaType === 'play' && s.name === 'origin').length;

  it('the pull moves to C after the move timeout; B, back, is fenced in one run; then the origin serves exactly one pull', async () => {
    const relays = [{ id: 'b', url: '' }, { id: 'c', url: '' }];
    const name = Array.from({ length: 50 }, (_, i) => `r7-${i}`).find((n) => rendezvous(relays, n)[0]!.id === 'b')!;
    const uri = `ws://${toOrigin.addressB}:8080`; // A's address on B's wire; C shares A's host
    const res = await fetch(`${edge.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri, remoteStreamName: 'origin', localStreamName: name }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ relay: 'b', epoch: 1 });
    await expect.poll(() => relayStatus(b, name), { timeout: 20_000 }).toBe('PLAYING');

    edgeToB.set(false);
    await edge.runScheduled(); // B fails its first check: its clock starts
    await expect.poll(async () => (await edgeRecord(name))?.status, { timeout: 15_000 }).toBe('UNKNOWN');
    expect((await edgeRecord(name))?.relay).toBe('b');
    await delay(MOVE_AFTER_S * 1000); // the partition lasts past the move timeout, whatever the relays do
    const movingAt = Date.now();
    await edge.runScheduled();
    await expect.poll(async () => (await edgeRecord(name))?.relay, { timeout: 15_000 }).toBe('c');
    await expect.poll(() => relayStatus(c, name), { timeout: 20_000 }).toBe('PLAYING');
    const playingOnCAfterMs = Date.now() - movingAt;
    expect(await relayStatus(b, name)).toBe('PLAYING'); // cut off from the edge only: it still pulls
    expect(await originPlayers()).toBe(2);

    edgeToB.set(true);
    await edge.runScheduled();
    await expect.poll(() => relayStatus(b, name), { timeout: 15_000 }).toBeUndefined();
    await expect.poll(originPlayers, { timeout: 10_000 }).toBe(1);
    for (let i = 0; i < 8; i += 1) { // and it stays one: another run changes nothing
      if (i === 4) await edge.runScheduled();
      expect(await originPlayers()).toBe(1);
      await delay(250);
    }
    expect(await edgeRecord(name)).toMatchObject({ relay: 'c', status: 'PLAYING', epoch: 2 });
    expect(await relayStatus(c, name)).toBe('PLAYING');
    recordFaultFigures('R7', `relay B partitioned from the edge, not from its origin, past MOVE_AFTER_SECONDS=${MOVE_AFTER_S}`, {
      playingOnCAfterMoveRunMs: playingOnCAfterMs, originPlayersAfterFencing: await originPlayers(),
    });
  });
});
