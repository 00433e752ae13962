/**
 * Viewer routing: `GET /rest-api/play/<localStreamName>?proto=webrtc|whep|hls[&region=<label>]` answers 307 to a relay
 * that plays the stream now, in the viewer's region first, or to a new on-demand copy on a member (copies.ts) once it
 * plays there. Among relays that play it, one is chosen with odds in proportion to its headroom (its RELAYS `capacity`, 500 by default, minus the
 * viewers its /metrics counts): the emptier relay gets more viewers, and a burst of viewers arriving before any of
 * them shows in /metrics is spread instead of all sent to the same relay. Public, like playback itself. The body says the same in JSON, with the
 * relay's WCS Websocket URL for the SDK (a 307 cannot move a WebSocket).
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { apiError } from '../../contract/error-body.ts';
import { claims } from './state.ts';
import type { StoredPull } from './edge-state.ts';
import { createCopy, treeOf } from './copies.ts';
import { fanoutOf } from './settings.ts';
import { placeViewer, type TreeRelay } from './tree.ts';
import { playsWithin } from './move.ts';
import { liveByRelay } from './find-all.ts';
import { RelayClient, type RelayConfig } from './relays.ts';
import { relaysOf } from './members.ts';

const PROTOS = ['webrtc', 'whep', 'hls'] as const;
type Proto = (typeof PROTOS)[number];
const DEFAULT_CAPACITY = 500;
const FULL_RETRY_AFTER_S = 5;

/** `edge`: this edge's origin, given to the viewer page (with the viewer's region) so it comes back here when its relay fails. */
function locationFor(relay: RelayConfig, name: string, proto: Proto, edge: string, region: string): string {
  const n = encodeURIComponent(name);
  if (proto === 'whep') return `${relay.url}/whep/${n}`;
  if (proto === 'webrtc') return `${relay.url}/viewer.html?stream=${n}&edge=${encodeURIComponent(edge)}${region ? `&region=${encodeURIComponent(region)}` : ''}`;
  if (!relay.hls) throw apiError(404, 'not_found', `relay ${relay.id} has no "hls" URL in RELAYS`);
  return `${relay.hls}/${n}/${n}.m3u8`;
}

/** An index chosen with odds in proportion to each (positive) headroom; the largest when none is positive. */
export function pick(headroom: number[], random = Math.random()): number {
  const weights = headroom.map((h) => (Number.isFinite(h) && h > 0 ? h : 0));
  const total = weights.reduce((a, b) => a + b, 0);
  if (total === 0) return headroom.indexOf(Math.max(...headroom));
  let at = random * total;
  for (let i = 0; i < weights.length; i += 1) {
    at -= weights[i]!;
    if (at < 0) return i;
  }
  return weights.length - 1;
}

/** A viewer held for a new copy waits this long for it to play, then is told to come back. */
const COPY_WAIT_MS = 8000;
const ATTEMPTS = 3;

export async function play(c: Context<{ Bindings: Env }>): Promise<Response> {
  const name = c.req.param('name')!;
  const proto = (c.req.method === 'POST' ? 'whep' : c.req.query('proto') ?? 'webrtc') as Proto;
  const region = c.req.query('region') ?? '';
  if (!PROTOS.includes(proto)) throw apiError(400, 'bad_request', `proto: one of ${PROTOS.join(', ')}`);
  for (let attempt = 1; ; attempt += 1) {
    const record = await claims(c.env).get(name);
    if (!record) throw apiError(404, 'not_found', `no pull "${name}" at this edge`);
    const decision = await decide(c.env, record, proto, region);
    if (decision.kind === 'existing') return routed(c, decision.relay, name, proto, decision.headroom);
    if (await createCopy(c.env, decision.relays, name, decision.relay.id, decision.parent)) {
      if (!await playsWithin(new RelayClient(decision.relay), name, COPY_WAIT_MS)) {
        throw new HTTPException(503, { res: Response.json({ error: 'starting', message: `"${name}" is starting on relay ${decision.relay.id}; try again` },
          { status: 503, headers: { 'retry-after': '1' } }) });
      }
      return routed(c, decision.relay, name, proto, decision.headroom, true);
    }
    if (attempt === ATTEMPTS) throw apiError(503, 'unavailable', `the copies of "${name}" kept changing while a place was found for this viewer; try again`);
  }
}

/**
 * 307 to the relay, the body saying the same; `?json=1` answers 200 with only the body (a page's fetch cannot read a
 * redirect's). A WHEP POST to the edge (`/whep/<name>`) is redirected with its offer (RFC 9725 allows a 307 there).
 */
function routed(c: Context<{ Bindings: Env }>, relay: RelayConfig, name: string, proto: Proto, headroom: number, onDemand = false): Response {
  const location = locationFor(relay, name, proto, new URL(c.req.url).origin, c.req.query('region') ?? '');
  const body = { relay: relay.id, proto, location, wcsUrl: relay.url.replace(/^http/, 'ws'), headroom, ...(onDemand ? { onDemand } : {}) };
  if (c.req.query('json') === '1') return c.json(body, 200, { 'cache-control': 'no-store' });
  return c.json(body, 307, { location });
}

type Decision = { kind: 'existing'; relay: RelayConfig; headroom: number }
  | { kind: 'new'; relay: RelayConfig; parent: string; headroom: number; relays: Map<string, RelayConfig> };

/**
 * A relay that plays the stream now and has room, picked with odds by headroom among those in the viewer's region
 * (all, without a region); else a new copy on a member (tree.ts decides where and under which parent).
 */
async function decide(env: Env, record: StoredPull, proto: Proto, region: string): Promise<Decision> {
  const name = record.localStreamName;
  const relays = new Map((await relaysOf(env)).map((r) => [r.id, r]));
  const copies = await claims(env).copies(name);
  const holders = [...record.placements.map((p) => p.relay), ...copies.map((cp) => cp.relay)];
  const live = await liveByRelay(env, holders);
  const holding = holders.map((id) => relays.get(id)).filter((r): r is RelayConfig => {
    const view = r && live.get(r.id);
    return view instanceof Map && view.get(name)?.status === 'PLAYING';
  });
  // A draining relay takes no new viewer while another plays the stream.
  const playing = holding.some((r) => !r.draining) ? holding.filter((r) => !r.draining) : holding;
  // A relay whose load cannot be read is the last choice, not a reason to refuse the viewer. A relay that states its
  // own WebRTC capacity (SIPHON_MAX_VIEWERS) is taken at its word.
  const loads = await Promise.all(playing.map((r) => new RelayClient(r).load().catch(() => undefined)));
  const headroom = playing.map((r, i) => {
    const load = loads[i];
    if (!load) return -Infinity;
    return load.capacity && proto !== 'hls' ? load.capacity.max - load.capacity.used : (r.capacity ?? DEFAULT_CAPACITY) - load.viewers;
  });
  const free = [...relays.values()].filter((r) => r.member && !r.draining && !holders.includes(r.id))
    .map((r) => ({ id: r.id, region: r.region ?? '', headroom: (r.capacity ?? DEFAULT_CAPACITY) - (r.load?.viewers ?? 0) }));
  const candidates: TreeRelay[] = [...playing.map((r, i) => ({ id: r.id, region: r.region ?? '', headroom: headroom[i]! })), ...free];
  const placed = placeViewer(treeOf(record, copies, relays), candidates, region, fanoutOf(env));
  if (placed?.kind === 'new') return { kind: 'new', relay: relays.get(placed.relay)!, parent: placed.parent, headroom: free.find((f) => f.id === placed.relay)!.headroom, relays };
  if (placed?.kind === 'existing') {
    const tier = relays.get(placed.relay)!.region ?? '';
    const same = playing.map((r, i) => (!region || (r.region ?? '') === tier ? headroom[i]! : -Infinity));
    const best = pick(same);
    return { kind: 'existing', relay: playing[best]!, headroom: headroom[best]! };
  }
  if (playing.length === 0) throw apiError(503, 'unavailable', `no relay plays "${name}" now (placed on ${record.placements.map((p) => p.relay).join(', ')})`);
  if (proto !== 'hls' && loads.every((l) => l?.capacity && l.capacity.used >= l.capacity.max)) {
    throw new HTTPException(503, { res: Response.json({ error: 'relay_full', message: `every relay that plays "${name}" is full; try again later` },
      { status: 503, headers: { 'retry-after': String(FULL_RETRY_AFTER_S) } }) });
  }
  const best = pick(headroom);
  return { kind: 'existing', relay: playing[best]!, headroom: headroom[best]! };
}
