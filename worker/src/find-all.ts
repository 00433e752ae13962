/**
 * find_all: every record with its replicas' live status. Two things are shared among concurrent requests in this
 * isolate: a relay already being asked is not asked again, and a whole answer still being computed is joined by a
 * request that arrives meanwhile, unless this isolate changed a record since it began (so a client always sees its
 * own pulls). A record newer than its relay's answer shows PENDING, not LOST.
 */
import { apiError } from '../../contract/error-body.ts';
import type { PullRecord, RelayPullRecord } from '../../contract/pull.ts';
import type { StoredPull } from './edge-state.ts';
import { toRecord, type Live } from './pulls.ts';
import { claims, writes } from './state.ts';
import { RelayClient, type RelayConfig } from './relays.ts';
import { relaysOf } from './members.ts';

type LiveView = Map<string, RelayPullRecord> | string;

/** One relay's pulls by local name, or why it could not be asked. */
async function askRelay(cfg: RelayConfig | undefined, id: string): Promise<LiveView> {
  if (!cfg) return `relay ${id} is neither in RELAYS nor a member now`;
  try {
    const live = await new RelayClient(cfg).findAll();
    return new Map(live.filter((p) => p.direction !== 'push').map((p) => [p.localStreamName, p]));
  } catch (err) {
    return (err as Error).message;
  }
}

/** Live view per relay, each asked now. */
export async function liveByRelay(env: Env, ids: Iterable<string>): Promise<Map<string, LiveView>> {
  const relays = new Map((await relaysOf(env)).map((r) => [r.id, r]));
  const unique = [...new Set(ids)];
  const views = await Promise.all(unique.map((id) => askRelay(relays.get(id), id)));
  return new Map(unique.map((id, i) => [id, views[i]!]));
}

/**
 * find_all's view: a relay already being asked (by a concurrent find_all in this isolate) is not asked again, the
 * answer is shared. A record made after that question was asked shows PENDING, not LOST.
 */
const asking = new Map<string, { view: Promise<LiveView>; askedAt: number }>();

async function sharedLive(env: Env, ids: Iterable<string>): Promise<Map<string, { view: LiveView; askedAt: number }>> {
  const relays = new Map((await relaysOf(env)).map((r) => [r.id, r]));
  const unique = [...new Set(ids)];
  const pending = unique.map((id) => {
    let q = asking.get(id);
    if (!q) {
      q = { view: askRelay(relays.get(id), id), askedAt: Date.now() };
      asking.set(id, q);
      const mine = q;
      void q.view.then(() => { if (asking.get(id) === mine) asking.delete(id); });
    }
    return q;
  });
  const views = await Promise.all(pending.map((q) => q.view));
  return new Map(unique.map((id, i) => [id, { view: views[i]!, askedAt: pending[i]!.askedAt }]));
}

/** What a relay's view says of one placement. */
function liveOf(r: StoredPull, relay: string, asked: { view: LiveView; askedAt: number } | undefined): Live {
  if (!asked) return { status: 'UNKNOWN', info: `relay ${relay} was not asked` };
  const { view, askedAt } = asked;
  if (typeof view === 'string') return { status: 'UNKNOWN', info: view };
  const p = view.get(r.localStreamName);
  if (p) return p;
  if (Date.parse(r.created) >= askedAt) return { status: 'PENDING', info: `placed on ${relay} a moment ago` };
  return { status: 'LOST', info: `relay ${relay} does not have this pull (restarted?); reconciliation re-creates it` };
}

async function findAll(env: Env): Promise<PullRecord[]> {
  const records = await claims(env).list();
  if (records.length === 0) throw apiError(404, 'not_found', 'no pulls');
  const copies = await claims(env).copies();
  const live = await sharedLive(env, [...records.flatMap((r) => r.placements.map((p) => p.relay)), ...copies.map((c) => c.relay)]);
  return records.map((r) => {
    const mine = copies.filter((c) => c.name === r.localStreamName);
    const children = (relay: string) => mine.filter((c) => c.parent === relay).map((c) => c.relay);
    const withChildren = (relay: string) => (children(relay).length > 0 ? { children: children(relay) } : {});
    const replicas = r.placements.map((p) => ({ ...liveOf(r, p.relay, live.get(p.relay)), relay: p.relay, epoch: p.epoch, ...withChildren(p.relay) }));
    const record = toRecord(r, replicas[0] ?? { status: 'LOST', info: 'no relay holds this pull; reconciliation places it' }, replicas);
    if (mine.length === 0) return record;
    return { ...record, copies: mine.map((c) => {
      const { status, info } = liveOf(r, c.relay, live.get(c.relay));
      return { relay: c.relay, parent: c.parent, children: children(c.relay), epoch: c.epoch, warm: c.warm, status, info };
    }) };
  });
}

/** Per Env (one per deployment; the tests make several): an answer is only shared under the same configuration. */
const answering = new WeakMap<Env, { answer: Promise<string>; writes: number }>();

/** The JSON text of find_all's answer: made once for every request that shares it (at 10 000 records, the cost). */
export function findAllShared(env: Env): Promise<string> {
  const current = answering.get(env);
  if (current && current.writes === writes.count) return current.answer;
  const mine = { answer: findAll(env).then((records) => JSON.stringify(records)), writes: writes.count };
  answering.set(env, mine);
  void mine.answer.finally(() => { if (answering.get(env) === mine) answering.delete(env); }).catch(() => undefined); // callers see the failure
  return mine.answer;
}
