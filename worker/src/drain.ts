/**
 * Draining a member before it shuts down: `POST /rest-api/relay/drain {relay}` (an operator), or `/relay/leave` (the
 * relay itself, on SIGTERM). It takes no new pull or viewer from then on; each pull it holds starts on another relay,
 * and stops on it once the new copy plays (or after 10 s), so its viewers, ended with it, find the stream playing
 * elsewhere when they come back through the edge; its on-demand copies stop, after the copies they feed re-parent.
 * A move that fails is tried again by each reconciliation.
 */
import { apiError } from '../../contract/error-body.ts';
import type { DrainResult } from '../../contract/membership.ts';
import type { Placement, StoredPull } from './edge-state.ts';
import { RelayClient, type RelayConfig } from './relays.ts';
import { relaysOf } from './members.ts';
import { moveReplica } from './move.ts';
import { reparent } from './copies.ts';
import { claims, writes } from './state.ts';
import { log } from './log.ts';

/** Moves replica `p` off its draining relay, then stops the old copy there; the new relay's id. */
export async function drainPlacement(env: Env, relays: RelayConfig[], r: StoredPull, p: Placement): Promise<string> {
  const from = relays.find((relay) => relay.id === p.relay);
  const fromId = p.relay;
  const to = await moveReplica(env, relays, r, p, true);
  // The copies it fed pull from elsewhere before it stops (p now names the new placement).
  const byId = new Map(relays.map((relay) => [relay.id, relay]));
  for (const child of (await claims(env).copies(r.localStreamName)).filter((c) => c.parent === fromId)) {
    const moved = await claims(env).get(r.localStreamName);
    if (moved) await reparent(env, byId, moved, child, new Set([fromId])).catch((err: Error) => log('edge.reparent_failed', { relay: child.relay, localStreamName: child.name, reason: err.message }));
  }
  if (from) {
    await new RelayClient(from).terminate(r.localStreamName).catch((err: Error) =>
      log('edge.drain_stop_failed', { relay: from.id, localStreamName: r.localStreamName, reason: err.message })); // fenced at the next reconciliation
  }
  return to;
}

export async function drain(env: Env, id: string, by: string): Promise<DrainResult> {
  if (!await claims(env).drain(id)) {
    const fixed = (await relaysOf(env)).some((r) => r.id === id && !r.member);
    throw apiError(404, 'not_found', fixed ? `relay "${id}" is in RELAYS, not a member: remove it from RELAYS to move its pulls away` : `no member "${id}"`);
  }
  log('edge.relay_draining', { relay: id, by });
  writes.count += 1;
  const relays = await relaysOf(env);
  const out: DrainResult = { relay: id, moved: [], failed: [] };
  for (const r of await claims(env).list()) {
    for (const p of r.placements.filter((pl) => pl.relay === id)) {
      try {
        out.moved.push({ localStreamName: r.localStreamName, to: await drainPlacement(env, relays, r, p) });
      } catch (err) {
        out.failed.push({ localStreamName: r.localStreamName, reason: (err as Error).message });
      }
    }
  }
  await dropCopies(env, relays, id, out);
  log('edge.relay_drained', { relay: id, moved: out.moved.length, dropped: out.dropped, failed: out.failed });
  return out;
}

/** The draining relay's copies: what each feeds re-parents elsewhere, then it stops (its viewers come back through the edge). */
async function dropCopies(env: Env, relays: RelayConfig[], id: string, out: DrainResult): Promise<void> {
  const byId = new Map(relays.map((r) => [r.id, r]));
  for (const copy of (await claims(env).copies()).filter((c) => c.relay === id)) {
    const record = await claims(env).get(copy.name);
    if (!record) continue;
    for (const child of (await claims(env).copies(copy.name)).filter((c) => c.parent === id)) {
      const to = await reparent(env, byId, record, child, new Set([id])).catch((err: Error) => { out.failed.push({ localStreamName: copy.name, reason: err.message }); return undefined; });
      if (to) out.moved.push({ localStreamName: `${copy.name}@${child.relay}`, to });
    }
    await claims(env).removeCopy(copy.name, id);
    const on = byId.get(id);
    if (on) await new RelayClient(on).terminate(copy.name).catch((err: Error) => log('edge.drain_stop_failed', { relay: id, localStreamName: copy.name, reason: err.message }));
    (out.dropped ??= []).push(copy.name);
  }
}

/** The relay leaves for good: drained, then no longer a member (what it still held moves at the next reconciliation). */
export async function leave(env: Env, id: string): Promise<DrainResult> {
  const result = await drain(env, id, 'the relay (leave)');
  await claims(env).leave(id);
  log('edge.relay_left', { relay: id });
  return result;
}
