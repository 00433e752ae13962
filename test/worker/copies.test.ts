/**
 * The CDN in workerd, relays faked at the fetch boundary: a viewer where no relay with room holds the stream gets an
 * on-demand copy on a member, the copies form a tree no wider than FANOUT, idle copies are dropped, a copy whose
 * parent dies re-parents, and find_all shows each copy with its parent and children.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { heartbeat } from '../../worker/src/members.ts';
import type { RelayLoad } from '../../contract/membership.ts';
import { reconcile } from '../../worker/src/reconcile.ts';
import { call, claims, cut, envWith, joinAs, JOIN_TOKEN, onRelay, placed, runsOn } from './edge-harness.ts';

/** What a test made, undone after it (the Durable Object's storage lives through the file): members, the pull. */
const made: { e: Env; name: string; ids: string[] }[] = [];
const credentials = new Map<string, string>();
/** A member's heartbeat at `now`: the copies the edge tells it to drop. */
const idleCopies = async (e: Env, relay: string, load: RelayLoad, now: number) =>
  (await heartbeat(e, `Bearer ${credentials.get(relay)}`, { id: relay, load }, now)).drop ?? [];
afterEach(async () => {
  for (const { e, name, ids } of made.splice(0)) {
    for (const id of ids) await claims(e).leave(id);
    await claims(e).release(name, `c-${name}`);
  }
});

/** full.relay holds the stream and states it has no room (its /metrics: 2 of 2 WebRTC viewers). */
async function cdn(prefix: string, members: number, extra: Partial<Env> = {}) {
  const e = envWith(['full'], { RELAY_JOIN_TOKEN: JOIN_TOKEN, FANOUT: '2', ...extra });
  const name = `${prefix}-stream`;
  await placed(e, name, 'full');
  expect((await onRelay('full', name, 1)).status).toBe(200);
  const ids = Array.from({ length: members }, (_, i) => `${prefix}-m${i}`);
  for (const id of ids) credentials.set(id, await joinAs(e, id, { capacity: 1, region: '' })); // the origin's region (none); one viewer each (the fake's /metrics counts 1): every viewer needs a new copy
  made.push({ e, name, ids });
  return { e, name, ids };
}

const view = async (e: Env, name: string) => {
  const res = await call(e, 'GET', `/rest-api/play/${name}?proto=whep`);
  return { status: res.status, body: await res.json() as { relay: string; onDemand?: boolean } };
};
const record = async (e: Env, name: string) => ((await (await call(e, 'GET', '/rest-api/pull/find_all')).json()) as {
  localStreamName: string; replicas: { relay: string; children?: string[] }[]; copies?: { relay: string; parent: string; children: string[]; status: string }[];
}[]).find((r) => r.localStreamName === name)!;

describe('pull on demand', () => {
  it('each viewer no relay has room for gets a copy on a member; no copy, the origin\'s included, feeds more than FANOUT', async () => {
    const { e, name, ids } = await cdn('tree', 6);
    const served = [];
    for (let i = 0; i < 6; i += 1) {
      const { status, body } = await view(e, name);
      expect(status).toBe(307);
      expect(body.onDemand).toBe(true);
      served.push(body.relay);
    }
    expect(served.sort()).toEqual(ids.sort());
    for (const id of ids) expect(await runsOn(id)).toContain(name);
    const r = await record(e, name);
    expect(r.replicas[0]!.children).toHaveLength(2);
    expect(r.copies).toHaveLength(6);
    for (const c of r.copies!) {
      expect(c.children.length).toBeLessThanOrEqual(2);
      expect(c.status).toBe('PLAYING');
    }
    expect(r.copies!.filter((c) => c.parent === 'full')).toHaveLength(2);
    const depthOf = (relay: string): number => (relay === 'full' ? 0 : 1 + depthOf(r.copies!.find((c) => c.relay === relay)!.parent));
    expect(Math.max(...ids.map(depthOf))).toBe(2); // 2 + 4: breadth first
    expect(await view(e, name)).toMatchObject({ status: 307, body: { relay: 'full' } }); // every relay full: the origin's relay, as without members
    expect(await claims(e).copies(name)).toHaveLength(6);
  });

  it('a copy with no viewer and no child is dropped after IDLE_SECONDS; one that feeds a copy, or that is watched, stays', async () => {
    const { e, name, ids } = await cdn('idle', 3);
    for (let i = 0; i < 3; i += 1) expect((await view(e, name)).status).toBe(307);
    const copies = await claims(e).copies(name);
    const leaf = copies.find((c) => !copies.some((k) => k.parent === c.relay))!;
    const later = Date.now() + 31_000;
    const idle = (relay: string, viewers: number) => idleCopies(e, relay, { viewers, pulls: 1, cpu: 0, egressBps: 0, streams: { [name]: { viewers, playing: true } } }, later);
    expect(await idle(leaf.relay, 2)).toEqual([]); // watched
    expect(await idle(leaf.relay, 0)).toEqual([]); // watched 0 s ago (the heartbeat before)
    expect(await idleCopies(e, leaf.relay, { viewers: 0, pulls: 1, cpu: 0, egressBps: 0 }, later + 31_000)).toEqual([name]);
    expect((await claims(e).copies(name)).map((c) => c.relay)).not.toContain(leaf.relay);
    const parents = copies.filter((c) => copies.some((k) => k.parent === c.relay));
    for (const p of parents) expect(await idleCopies(e, p.relay, { viewers: 0, pulls: 1, cpu: 0, egressBps: 0 }, later + 62_000)).toEqual([]);
    expect(ids).toContain(leaf.relay);
  });

  it('a copy whose parent is cut off re-parents under a live copy with room at the next reconciliation', async () => {
    const { e, name } = await cdn('reparent', 4, { FANOUT: '2' });
    for (let i = 0; i < 4; i += 1) expect((await view(e, name)).status).toBe(307);
    const before = await claims(e).copies(name);
    const middle = before.find((c) => before.some((k) => k.parent === c.relay))!;
    const orphans = before.filter((c) => c.parent === middle.relay).map((c) => c.relay);
    expect(await claims(e).reparent(name, middle.relay, 'full', orphans[0]!, 2)).toBeNull(); // never under its own child
    cut.add(`${middle.relay}.relay`);
    try {
      const result = await reconcile(e);
      for (const o of orphans) expect(result.copies).toContainEqual(expect.stringMatching(new RegExp(`^${name}@${o}: re-parented ${middle.relay} → `)));
      const after = await claims(e).copies(name);
      for (const o of orphans) {
        const moved = after.find((c) => c.relay === o)!;
        expect(moved.parent).not.toBe(middle.relay);
        expect(moved.epoch).toBe(2);
        expect(await runsOn(o)).toContain(name);
      }
      expect(after.filter((c) => c.parent === 'full' && c.relay !== middle.relay).length).toBeLessThanOrEqual(2); // the dead one pulls nothing
    } finally {
      cut.delete(`${middle.relay}.relay`);
    }
  });

  it('a member runs a copy the edge placed (not fenced) and drops one it does not know (fenced)', async () => {
    const { e, name } = await cdn('fence', 1);
    expect((await view(e, name)).status).toBe(307);
    const [copy] = await claims(e).copies(name);
    expect((await onRelay(copy!.relay, 'fence-stranger', 1)).status).toBe(200);
    const result = await reconcile(e);
    expect(result.fenced).toContain(`${copy!.relay}/fence-stranger`);
    expect(result.fenced).not.toContain(`${copy!.relay}/${name}`);
    expect(await runsOn(copy!.relay)).toContain(name);
  });

  it('WARM_STREAMS keeps a copy on a chosen member without a viewer (static setups: placement.test.ts, no members there)', async () => {
    const { e, name, ids } = await cdn('warm', 2, { WARM_STREAMS: JSON.stringify({ 'warm-stream': ['warm-m1'] }) });
    const result = await reconcile(e);
    expect(result.copies).toContain(`${name}@warm-m1: warm copy under full`);
    expect(await runsOn('warm-m1')).toContain(name);
    expect(await idleCopies(e, 'warm-m1', { viewers: 0, pulls: 1, cpu: 0, egressBps: 0 }, Date.now() + 3_600_000)).toEqual([]);
    expect(ids).toContain('warm-m1');
  });

  it('a member asking for a copy on itself gets one under a parent with room; asking again is the same copy; strangers are refused', async () => {
    const { e, name, ids } = await cdn('demand', 2);
    const ask = (id: string, stream: string, credential = credentials.get(id)) =>
      call(e, 'POST', '/rest-api/relay/demand', { id, stream }, { authorization: `Bearer ${credential}` });
    const first = await ask(ids[0]!, name);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ stream: name, relay: ids[0], parent: 'full' });
    expect(await runsOn(ids[0]!)).toContain(name);
    expect(await (await ask(ids[0]!, name)).json()).toEqual({ stream: name, relay: ids[0], parent: 'full' });
    expect(await (await ask(ids[1]!, name)).json()).toEqual({ stream: name, relay: ids[1], parent: 'full' }); // FANOUT 2: the root has room for two
    expect((await ask(ids[0]!, name, 'forged')).status).toBe(401);
    const unknown = await ask(ids[0]!, 'no-such-stream');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'not_found' });
    expect(await claims(e).reparent(name, ids[0]!, 'full', ids[0]!, 2)).toBeNull(); // never under itself
    expect((await call(e, 'POST', '/rest-api/pull/terminate', { localStreamName: name })).status).toBe(200);
    for (const id of ids) expect(await runsOn(id)).not.toContain(name); // its copies stop with it
  });

  it('draining a member stops its copies after the copies they feed re-parent; its viewers come back through the edge', async () => {
    const { e, name } = await cdn('draincopy', 4);
    for (let i = 0; i < 4; i += 1) expect((await view(e, name)).status).toBe(307);
    const before = await claims(e).copies(name);
    const middle = before.find((c) => before.some((k) => k.parent === c.relay))!;
    const orphans = before.filter((c) => c.parent === middle.relay).map((c) => c.relay);
    const res = await call(e, 'POST', '/rest-api/relay/drain', { relay: middle.relay });
    expect(res.status).toBe(200);
    const result = await res.json() as { dropped: string[]; moved: { localStreamName: string }[]; failed: unknown[] };
    expect(result).toMatchObject({ dropped: [name], failed: [] });
    expect(result.moved.map((m) => m.localStreamName).sort()).toEqual(orphans.map((o) => `${name}@${o}`).sort());
    const after = await claims(e).copies(name);
    expect(after.map((c) => c.relay)).not.toContain(middle.relay);
    for (const o of orphans) expect(after.find((c) => c.relay === o)!.parent).not.toBe(middle.relay);
    expect(await runsOn(middle.relay)).not.toContain(name);
    const again = await view(e, name); // a viewer of the drained relay, back at the edge
    expect(again.body.relay).not.toBe(middle.relay);
  });

  it('viewers arriving at once never widen a node past FANOUT: the check and the insert are one step in the object', async () => {
    const { e, name } = await cdn('burst', 6);
    const answers = await Promise.all(Array.from({ length: 6 }, () => view(e, name)));
    expect(answers.every((a) => a.status === 307 || a.status === 503)).toBe(true);
    const copies = await claims(e).copies(name);
    const children = new Map<string, number>();
    for (const c of copies) children.set(c.parent, (children.get(c.parent) ?? 0) + 1);
    expect(Math.max(...children.values())).toBeLessThanOrEqual(2);
    expect(new Set(copies.map((c) => c.relay)).size).toBe(copies.length); // one copy per relay
  });
});
