/**
 * Cron: make the relays run exactly the recorded pulls, each on the relay its placement names.
 *
 * - A relay that answers is fenced first: every pull it runs that the edge does not know, that is placed on
 *   another relay, or whose epoch is older than the placement's, is terminated (a relay back from a partition
 *   drops the copy that was moved away while it was cut off).
 * - A recorded pull its relay does not run (a restart) is started again there, with the placement's epoch.
 * - A pull whose relay has failed every check (unreachable, or unhealthy) for MOVE_AFTER_SECONDS (30 s) moves to
 *   the next healthy relay in rendezvous order: started there with epoch + 1, then the placement is moved by
 *   compare-and-set; a relay only unreachable from the edge keeps its copy until it is fenced on its return.
 */
import type { RelayPullRecord } from '../../contract/pull.ts';
import type { StoredPull } from './claims.ts';
import { importLegacyRecords } from './legacy-records.ts';
import { claims, liveByRelay, log, startOnRelay } from './pulls.ts';
import { rendezvous, readRelays, RelayClient, type RelayConfig } from './relays.ts';

const DEFAULT_MOVE_AFTER_S = 30;

export interface ReconcileResult { checked: number; recreated: string[]; moved: string[]; fenced: string[]; waiting: string[]; failed: string[] }

export const moveAfterMs = (env: Env) => {
  const s = Number(env.MOVE_AFTER_SECONDS ?? DEFAULT_MOVE_AFTER_S);
  return (Number.isFinite(s) && s >= 0 ? s : DEFAULT_MOVE_AFTER_S) * 1000;
};

export async function reconcile(env: Env, now = Date.now()): Promise<ReconcileResult> {
  await importLegacyRecords(env);
  const relays = readRelays(env);
  const records = await claims(env).list();
  const live = await liveByRelay(env, relays.map((r) => r.id));
  const out: ReconcileResult = { checked: records.length, recreated: [], moved: [], fenced: [], waiting: [], failed: [] };
  const failingSince = new Map<string, number>();
  for (const relay of relays) {
    const view = live.get(relay.id);
    const healthy = view instanceof Map && await new RelayClient(relay).healthy();
    if (healthy) await claims(env).answered(relay.id);
    else failingSince.set(relay.id, await claims(env).failing(relay.id, now));
    if (view instanceof Map) await fence(relay, view, records, out);
  }
  for (const r of records) {
    const view = live.get(r.relay);
    if (view instanceof Map && view.has(r.localStreamName)) continue;
    try {
      await restore(env, r, relays, view instanceof Map, failingSince, now, out);
    } catch (err) {
      out.failed.push(`${r.localStreamName}: ${(err as Error).message}`);
    }
  }
  log('edge.reconciled', { ...out });
  return out;
}

/** Terminates what `relay` runs that the records do not place there at that epoch; removes it from `view`. */
async function fence(relay: RelayConfig, view: Map<string, RelayPullRecord>, records: StoredPull[], out: ReconcileResult): Promise<void> {
  const byName = new Map(records.map((r) => [r.localStreamName, r]));
  for (const [name, p] of view) {
    const r = byName.get(name);
    const why = !r ? 'the edge has no record of it' : r.relay !== relay.id ? `it is placed on ${r.relay}`
      : (p.epoch ?? 1) < r.epoch ? `its epoch ${p.epoch ?? 1} is older than the placement's ${r.epoch}` : undefined;
    if (!why) continue;
    await new RelayClient(relay).terminate(name);
    view.delete(name);
    out.fenced.push(`${relay.id}/${name}`);
    log('edge.fenced', { relay: relay.id, localStreamName: name, why });
  }
}

async function restore(env: Env, r: StoredPull, relays: RelayConfig[], reachable: boolean, failingSince: Map<string, number>,
  now: number, out: ReconcileResult): Promise<void> {
  const req = { uri: r.uri, remoteStreamName: r.remoteStreamName, localStreamName: r.localStreamName };
  const home = relays.find((x) => x.id === r.relay);
  const since = failingSince.get(r.relay);
  if (home && since === undefined) {
    await startOnRelay(new RelayClient(home), { ...req, epoch: r.epoch });
    out.recreated.push(r.localStreamName);
    return;
  }
  const failingFor = since === undefined ? Infinity : now - since;
  if (home && failingFor < moveAfterMs(env)) {
    out.waiting.push(`${r.localStreamName}: ${r.relay} failing for ${Math.round(failingFor / 1000)} s${reachable ? '' : ' (unreachable)'}`);
    return;
  }
  const target = await nextHealthy(relays, r);
  if (!target) throw new Error(`no healthy relay to move it to from ${r.relay}`);
  await startOnRelay(target, { ...req, epoch: r.epoch + 1 });
  if (await claims(env).move(r.localStreamName, r.relay, r.epoch, target.relay.id) === null) {
    await target.terminate(r.localStreamName); // someone moved or ended it meanwhile: this copy is not placed
    throw new Error('its placement changed while it was being moved');
  }
  out.moved.push(`${r.localStreamName}: ${r.relay} → ${target.relay.id}`);
  log('edge.pull_moved', { localStreamName: r.localStreamName, from: r.relay, to: target.relay.id, epoch: r.epoch + 1 });
}

async function nextHealthy(relays: RelayConfig[], r: StoredPull): Promise<RelayClient | undefined> {
  for (const relay of rendezvous(relays, r.localStreamName)) {
    if (relay.id === r.relay) continue;
    const client = new RelayClient(relay);
    if (await client.healthy()) return client;
  }
  return undefined;
}
