/**
 * Viewer routing: `GET /rest-api/play/<localStreamName>?proto=webrtc|whep|hls` answers 307 to a relay that plays the
 * stream now, chosen with odds in proportion to its headroom (its RELAYS `capacity`, 500 by default, minus the
 * viewers its /metrics counts): the emptier relay gets more viewers, and a burst of viewers arriving before any of
 * them shows in /metrics is spread instead of all sent to the same relay. Public, like playback itself. The body says the same in JSON, with the
 * relay's WCS Websocket URL for the SDK (a 307 cannot move a WebSocket).
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { apiError } from '../../contract/error-body.ts';
import { claims } from './state.ts';
import { liveByRelay } from './find-all.ts';
import { RelayClient, type RelayConfig } from './relays.ts';
import { relaysOf } from './members.ts';

const PROTOS = ['webrtc', 'whep', 'hls'] as const;
type Proto = (typeof PROTOS)[number];
const DEFAULT_CAPACITY = 500;
const FULL_RETRY_AFTER_S = 5;

function locationFor(relay: RelayConfig, name: string, proto: Proto): string {
  const n = encodeURIComponent(name);
  if (proto === 'whep') return `${relay.url}/whep/${n}`;
  if (proto === 'webrtc') return `${relay.url}/viewer.html?stream=${n}`;
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

export async function play(c: Context<{ Bindings: Env }>): Promise<Response> {
  const name = c.req.param('name')!;
  const proto = (c.req.query('proto') ?? 'webrtc') as Proto;
  if (!PROTOS.includes(proto)) throw apiError(400, 'bad_request', `proto: one of ${PROTOS.join(', ')}`);
  const record = await claims(c.env).get(name);
  if (!record) throw apiError(404, 'not_found', `no pull "${name}" at this edge`);
  const relays = new Map((await relaysOf(c.env)).map((r) => [r.id, r]));
  const live = await liveByRelay(c.env, record.placements.map((p) => p.relay));
  const holding = record.placements.map((p) => relays.get(p.relay)).filter((r): r is RelayConfig => {
    const view = r && live.get(r.id);
    return view instanceof Map && view.get(name)?.status === 'PLAYING';
  });
  // A draining relay takes no new viewer while another plays the stream.
  const playing = holding.some((r) => !r.draining) ? holding.filter((r) => !r.draining) : holding;
  if (playing.length === 0) throw apiError(503, 'unavailable', `no relay plays "${name}" now (placed on ${record.placements.map((p) => p.relay).join(', ')})`);
  // A relay whose load cannot be read is the last choice, not a reason to refuse the viewer. A relay that states its
  // own WebRTC capacity (SIPHON_MAX_VIEWERS) is taken at its word: when every one is full, the viewer is told so.
  const loads = await Promise.all(playing.map((r) => new RelayClient(r).load().catch(() => undefined)));
  const headroom = playing.map((r, i) => {
    const load = loads[i];
    if (!load) return -Infinity;
    return load.capacity && proto !== 'hls' ? load.capacity.max - load.capacity.used : (r.capacity ?? DEFAULT_CAPACITY) - load.viewers;
  });
  if (proto !== 'hls' && loads.every((l) => l?.capacity && l.capacity.used >= l.capacity.max)) {
    throw new HTTPException(503, { res: Response.json({ error: 'relay_full', message: `every relay that plays "${name}" is full; try again later` },
      { status: 503, headers: { 'retry-after': String(FULL_RETRY_AFTER_S) } }) });
  }
  const best = pick(headroom);
  const relay = playing[best]!;
  const location = locationFor(relay, name, proto);
  return c.json({ relay: relay.id, proto, location, wcsUrl: relay.url.replace(/^http/, 'ws'), headroom: headroom[best] }, 307, { location });
}
