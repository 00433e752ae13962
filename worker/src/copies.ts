/**
 * On-demand copies: the CDN. A viewer asking for a pulled stream where no relay with room holds it gets a new copy on
 * a member (a relay that joined) with headroom, its own region first, pulling from another copy or replica of the
 * stream, never one that already feeds FANOUT copies (tree.ts); the viewer is held until it plays there. A copy with
 * no viewer and no child for IDLE_SECONDS is dropped at its relay's next heartbeat; WARM_STREAMS keeps chosen copies.
 * A copy whose parent is gone re-parents by itself: at once when its relay reports it stalled and the parent does not
 * answer, else at the next reconciliation. Static RELAYS hold replicas and feed copies but get no copies themselves.
 */
import type { RelayLoad } from '../../contract/membership.ts';
import type { StoredCopy, StoredPull } from './edge-state.ts';
import { RelayClient, type RelayConfig } from './relays.ts';
import { startOnRelay } from './pulls.ts';
import { fanoutOf } from './settings.ts';
import { chooseParent, subtree, type TreeCopy, type TreeRelay } from './tree.ts';
import { claims, writes } from './state.ts';
import { log } from './log.ts';
import { apiError } from '../../contract/error-body.ts';
import { relaysOf } from './members.ts';


/** What a relay dials to pull from another: its WCS Websocket. */
export const wcsUrlOf = (relay: RelayConfig) => relay.url.replace(/^http/, 'ws');

/**
 * A stream's tree: its replicas are the roots, its copies hang below them. `live`: the relays there are now; a copy
 * on a gone one is left out (it feeds nothing and takes no place until reconciliation drops it).
 */
export const treeOf = (record: StoredPull, copies: readonly StoredCopy[], live?: ReadonlyMap<string, unknown>): TreeCopy[] =>
  [...record.placements.map((p) => ({ relay: p.relay, parent: null })),
    ...copies.filter((c) => !live || live.has(c.relay)).map((c) => ({ relay: c.relay, parent: c.parent }))];

async function startCopy(relays: ReadonlyMap<string, RelayConfig>, name: string, relay: string, parent: string, epoch: number): Promise<void> {
  const from = relays.get(parent);
  const on = relays.get(relay);
  if (!from || !on) throw new Error(`relay ${!from ? parent : relay} is neither in RELAYS nor a member`);
  await startOnRelay(new RelayClient(on), { uri: wcsUrlOf(from), remoteStreamName: name, localStreamName: name, epoch });
}

/** A new copy of `name` on `relay` under `parent`: false when the tree changed meanwhile (the caller places again). */
export async function createCopy(env: Env, relays: ReadonlyMap<string, RelayConfig>, name: string, relay: string, parent: string, warm = false): Promise<boolean> {
  if (!await claims(env).addCopy(name, relay, parent, fanoutOf(env), warm, Date.now(), [...relays.keys()])) return false;
  writes.count += 1;
  try {
    await startCopy(relays, name, relay, parent, 1);
  } catch (err) {
    await claims(env).removeCopy(name, relay);
    throw err;
  }
  log('edge.copy_created', { localStreamName: name, relay, parent, warm });
  return true;
}

/**
 * Moves `copy` under another parent (its own is gone): the relay pulls again from the new one, at the next epoch.
 * Its viewers are ended by the restart and come back through the edge; its own children retry the same relay.
 */
export async function reparent(env: Env, relays: ReadonlyMap<string, RelayConfig>, record: StoredPull, copy: StoredCopy, dead: ReadonlySet<string>): Promise<string | undefined> {
  const tree = treeOf(record, await claims(env).copies(copy.name)).filter((c) => !dead.has(c.relay));
  const live = new Map<string, TreeRelay>([...relays.values()].filter((r) => !dead.has(r.id))
    .map((r) => [r.id, { id: r.id, region: r.region ?? '', headroom: 1, draining: r.draining }]));
  const to = chooseParent(tree, live, relays.get(copy.relay)?.region ?? '', fanoutOf(env), subtree(tree, copy.relay));
  if (!to) return undefined;
  const epoch = await claims(env).reparent(copy.name, copy.relay, copy.parent, to, fanoutOf(env), [...dead]);
  if (epoch === null) return undefined;
  writes.count += 1;
  const on = new RelayClient(relays.get(copy.relay)!);
  await on.terminate(copy.name);
  await startCopy(relays, copy.name, copy.relay, to, epoch);
  log('edge.copy_reparented', { localStreamName: copy.name, relay: copy.relay, from: copy.parent, to, epoch });
  return to;
}

/** A member reports copies that do not play: those whose parent does not answer re-parent now. */
export async function reparentStalled(env: Env, relays: ReadonlyMap<string, RelayConfig>, relay: string, load: RelayLoad): Promise<string[]> {
  const stalled = new Set(Object.entries(load.streams ?? {}).filter(([, s]) => !s.playing).map(([name]) => name));
  if (stalled.size === 0) return [];
  const moved: string[] = [];
  for (const copy of (await claims(env).copies()).filter((c) => c.relay === relay && stalled.has(c.name))) {
    const parent = relays.get(copy.parent);
    if (parent && !parent.draining && await new RelayClient(parent).healthy()) continue; // it plays again soon: the relay retries its pull
    const record = await claims(env).get(copy.name);
    if (!record) continue;
    const to = await reparent(env, relays, record, copy, new Set([copy.parent]));
    if (to) moved.push(`${copy.name}: ${copy.parent} → ${to}`);
  }
  return moved;
}

/** WARM_STREAMS: JSON `{"<stream>": ["<relay>", …]}`, copies kept whether watched or not. */
export function warmList(env: Env): [string, string[]][] {
  if (!env.WARM_STREAMS) return [];
  try {
    const parsed = JSON.parse(env.WARM_STREAMS) as Record<string, unknown>;
    return Object.entries(parsed).filter((e): e is [string, string[]] => Array.isArray(e[1]) && e[1].every((r) => typeof r === 'string'));
  } catch {
    log('edge.misconfigured', { setting: 'WARM_STREAMS', reason: 'not JSON {"<stream>": ["<relay>", …]}' });
    return [];
  }
}

/**
 * Reconciliation of the copies: a copy on a relay that is gone or draining is dropped (its viewers come back through
 * the edge); one whose parent is gone or failing re-parents; one its relay does not run is started again; the warm
 * list's copies are made where missing.
 */
export async function reconcileCopies(env: Env, relays: ReadonlyMap<string, RelayConfig>, live: ReadonlyMap<string, Map<string, unknown> | string>,
  failing: ReadonlySet<string>, records: readonly StoredPull[]): Promise<string[]> {
  const out: string[] = [];
  const byName = new Map(records.map((r) => [r.localStreamName, r]));
  const dead = new Set([...failing, ...[...relays.values()].filter((r) => r.draining).map((r) => r.id)]);
  const all = await claims(env).copies();
  for (const copy of all) {
    const record = byName.get(copy.name);
    const on = relays.get(copy.relay);
    if (!record || !on || on.draining) {
      await claims(env).removeCopy(copy.name, copy.relay);
      out.push(`${copy.name}@${copy.relay}: dropped (${!record ? 'no pull' : !on ? 'relay gone' : 'relay draining'})`);
      continue;
    }
    const holds = (id: string) => record.placements.some((p) => p.relay === id) || all.some((c) => c.name === copy.name && c.relay === id);
    if (!relays.has(copy.parent) || dead.has(copy.parent) || !holds(copy.parent)) {
      const to = await reparent(env, relays, record, copy, new Set([...dead, copy.parent].filter((id) => id !== copy.relay)));
      out.push(`${copy.name}@${copy.relay}: ${to ? `re-parented ${copy.parent} → ${to}` : `no parent to re-parent to from ${copy.parent}`}`);
      continue;
    }
    const view = live.get(copy.relay);
    if (view instanceof Map && !view.has(copy.name)) {
      await startCopy(relays, copy.name, copy.relay, copy.parent, copy.epoch);
      out.push(`${copy.name}@${copy.relay}: started again`);
    }
  }
  const warm = warmList(env);
  for (const copy of all.filter((c) => c.warm && !warm.some(([name, ids]) => name === c.name && ids.includes(c.relay)))) {
    await claims(env).setWarm(copy.name, copy.relay, false);
    out.push(`${copy.name}@${copy.relay}: no longer warm`);
  }
  for (const [name, ids] of warm) {
    const record = byName.get(name);
    if (!record) continue;
    for (const id of ids.filter((i) => relays.get(i)?.member && !relays.get(i)!.draining)) {
      const tree = treeOf(record, await claims(env).copies(name));
      if (tree.some((c) => c.relay === id)) continue;
      const byId = new Map([...relays.values()].filter((r) => !dead.has(r.id)).map((r) => [r.id, { id: r.id, region: r.region ?? '', headroom: 1, draining: r.draining }]));
      const parent = chooseParent(tree, byId, relays.get(id)!.region ?? '', fanoutOf(env));
      if (parent && await createCopy(env, relays, name, id, parent, true)) out.push(`${name}@${id}: warm copy under ${parent}`);
    }
  }
  return out;
}

/**
 * A member asks for a copy of `name` on itself (a viewer asked it for a stream it does not hold): made under a parent
 * with room, like a viewer's copy at the edge. What it already holds is answered as such.
 */
export async function demandCopy(env: Env, relayId: string, name: string): Promise<{ stream: string; relay: string; parent: string | null }> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const record = await claims(env).get(name);
    if (!record) throw apiError(404, 'not_found', `no pull "${name}" at this edge`);
    const copies = await claims(env).copies(name);
    const held = record.placements.some((p) => p.relay === relayId) ? null : copies.find((c) => c.relay === relayId)?.parent;
    if (held !== undefined) return { stream: name, relay: relayId, parent: held };
    const relays = new Map((await relaysOf(env)).map((r) => [r.id, r]));
    const self = relays.get(relayId);
    if (!self || self.draining) throw apiError(409, 'conflict', `relay "${relayId}" is ${self ? 'draining' : 'not a member'}: it takes no new copy`);
    const live = new Map([...relays.values()].map((r) => [r.id, { id: r.id, region: r.region ?? '', headroom: 1, draining: r.draining }]));
    const parent = chooseParent(treeOf(record, copies, relays), live, self.region ?? '', fanoutOf(env));
    if (!parent) throw apiError(503, 'unavailable', `no copy of "${name}" has room for another child (FANOUT ${fanoutOf(env)})`);
    if (await createCopy(env, relays, name, relayId, parent)) return { stream: name, relay: relayId, parent };
  }
  throw apiError(503, 'unavailable', `the copies of "${name}" kept changing; ask again`);
}
