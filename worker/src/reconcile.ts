/**
 * Cron: make the relays run exactly the recorded pulls, each replica on the relay its placement names.
 *
 * - A relay that answers is fenced first: every pull it runs that the edge does not know, that has no placement on
 *   it, or whose epoch is older than its placement's, is terminated (a relay back from a partition drops the copy
 *   that was moved away while it was cut off).
 * - A placement its relay does not run (a restart) is started again there, with its epoch.
 * - A placement whose relay has failed every check (unreachable, or unhealthy) for MOVE_AFTER_SECONDS (30 s) moves
 *   to the next healthy relay in rendezvous order that holds no replica: started there with epoch + 1, then moved
 *   by compare-and-set; a relay only unreachable from the edge keeps its copy until it is fenced on its return.
 * - A pull short of its replicas (a relay removed from RELAYS) gets new ones the same way.
 */
import type { RelayPullRecord } from '../../contract/pull.ts';
import type { Placement, StoredCopy, StoredPull } from './edge-state.ts';
import { reconcileCopies } from './copies.ts';
import { moveAfterMs } from './settings.ts';
import { importLegacyRecords } from './legacy-records.ts';
import { startOnRelay } from './pulls.ts';
import { log } from './log.ts';
import { claims, writes } from './state.ts';
import { liveByRelay } from './find-all.ts';
import { RelayClient, type RelayConfig } from './relays.ts';
import { moveReplica, nextHealthy, pullRequestOf } from './move.ts';
import { drainPlacement } from './drain.ts';
import { relaysOf } from './members.ts';
import { resendRevocations } from './revoke.ts';

export interface ReconcileResult { checked: number; recreated: string[]; moved: string[]; fenced: string[]; waiting: string[]; failed: string[]; copies: string[] }

export async function reconcile(env: Env, now = Date.now()): Promise<ReconcileResult> {
  writes.count += 1; // it may move, add or import records: no find_all begun before may answer for after
  await importLegacyRecords(env);
  const relays = await relaysOf(env, now);
  const records = await claims(env).list();
  const live = await liveByRelay(env, relays.map((r) => r.id));
  const copies = await claims(env).copies();
  const out: ReconcileResult = { checked: records.length, recreated: [], moved: [], fenced: [], waiting: [], failed: [], copies: [] };
  const failingSince = new Map<string, number>();
  for (const relay of relays) {
    const view = live.get(relay.id);
    const healthy = view instanceof Map && await new RelayClient(relay).healthy();
    if (healthy) await claims(env).answered(relay.id);
    else failingSince.set(relay.id, await claims(env).failing(relay.id, now));
    if (view instanceof Map) await fence(relay, view, records, copies, out);
  }
  await resendRevocations(env, relays.filter((r) => !failingSince.has(r.id)), now);
  const x: Context = { env, relays, live, failingSince, now, out };
  for (const r of records) {
    try {
      await restore(x, r);
    } catch (err) {
      out.failed.push(`${r.localStreamName}: ${(err as Error).message}`);
    }
  }
  try {
    out.copies = await reconcileCopies(env, new Map(relays.map((r) => [r.id, r])), live, new Set(failingSince.keys()), records);
  } catch (err) {
    out.failed.push(`copies: ${(err as Error).message}`);
  }
  log('edge.reconciled', { ...out });
  return out;
}

/** Terminates what `relay` runs that the records do not place there at that epoch; removes it from `view`. */
async function fence(relay: RelayConfig, view: Map<string, RelayPullRecord>, records: StoredPull[], copies: StoredCopy[], out: ReconcileResult): Promise<void> {
  const byName = new Map(records.map((r) => [r.localStreamName, r]));
  for (const [name, p] of view) {
    const r = byName.get(name);
    const placed = r?.placements.find((pl) => pl.relay === relay.id) ?? copies.find((c) => c.name === name && c.relay === relay.id);
    // A newer epoch than any placement's: a move (drain, reconciliation) started it and has not committed yet.
    if (r && !placed && (p.epoch ?? 1) > Math.max(...r.placements.map((pl) => pl.epoch))) continue;
    const why = !r ? 'the edge has no record of it' : !placed ? `it is placed on ${r.placements.map((pl) => pl.relay).join(', ')}`
      : (p.epoch ?? 1) < placed.epoch ? `its epoch ${p.epoch ?? 1} is older than the placement's ${placed.epoch}` : undefined;
    if (!why) continue;
    await new RelayClient(relay).terminate(name);
    view.delete(name);
    out.fenced.push(`${relay.id}/${name}`);
    log('edge.fenced', { relay: relay.id, localStreamName: name, why });
  }
}

/** A member back after it was counted gone: stop what it runs that moved away meanwhile, now rather than at the next run. */
export async function fenceRelay(env: Env, id: string): Promise<string[]> {
  const relay = (await relaysOf(env)).find((r) => r.id === id);
  const view = relay && (await liveByRelay(env, [id])).get(id);
  if (!relay || !(view instanceof Map)) return [];
  const out: ReconcileResult = { checked: 0, recreated: [], moved: [], fenced: [], waiting: [], failed: [], copies: [] };
  await fence(relay, view, await claims(env).list(), await claims(env).copies(), out);
  return out.fenced;
}

interface Context { env: Env; relays: RelayConfig[]; live: Map<string, Map<string, RelayPullRecord> | string>; failingSince: Map<string, number>; now: number; out: ReconcileResult }

async function restore(x: Context, r: StoredPull): Promise<void> {
  for (const p of r.placements) {
    const view = x.live.get(p.relay);
    if (x.relays.find((relay) => relay.id === p.relay)?.draining) {
      await drainPlacement(x.env, x.relays, r, p).then((to) => x.out.moved.push(`${r.localStreamName}: draining → ${to}`),
        (err: Error) => x.out.failed.push(`${r.localStreamName}@${p.relay}: ${err.message}`));
      continue;
    }
    if (view instanceof Map && view.has(r.localStreamName)) continue;
    try {
      await restorePlacement(x, r, p, view instanceof Map);
    } catch (err) {
      x.out.failed.push(`${r.localStreamName}@${p.relay}: ${(err as Error).message}`);
    }
  }
  for (let missing = r.replicas - r.placements.length; missing > 0; missing -= 1) {
    const target = await nextHealthy(x.env, x.relays, r);
    if (!target) { x.out.failed.push(`${r.localStreamName}: no healthy relay for another replica`); return; }
    await startOnRelay(target, { ...pullRequestOf(r), epoch: 1 });
    if (!await claims(x.env).add(r.localStreamName, target.relay.id, 1)) await target.terminate(r.localStreamName);
    r.placements.push({ relay: target.relay.id, epoch: 1 });
    x.out.recreated.push(`${r.localStreamName}@${target.relay.id}`);
  }
}

async function restorePlacement(x: Context, r: StoredPull, p: Placement, reachable: boolean): Promise<void> {
  const home = x.relays.find((relay) => relay.id === p.relay);
  const since = x.failingSince.get(p.relay);
  if (home && !home.draining && since === undefined) {
    await startOnRelay(new RelayClient(home), { ...pullRequestOf(r), epoch: p.epoch });
    x.out.recreated.push(r.placements.length > 1 ? `${r.localStreamName}@${p.relay}` : r.localStreamName);
    return;
  }
  const failingFor = since === undefined ? Infinity : x.now - since;
  if (home && !home.draining && failingFor < moveAfterMs(x.env)) {
    x.out.waiting.push(`${r.localStreamName}@${p.relay}: failing for ${Math.round(failingFor / 1000)} s${reachable ? '' : ' (unreachable)'}`);
    return;
  }
  const from = p.relay;
  const to = await moveReplica(x.env, x.relays, r, p);
  x.out.moved.push(`${r.localStreamName}: ${from} → ${to}`);
}
