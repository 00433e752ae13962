/**
 * HLS through the edge: `GET /hls/<localStreamName>/<file>` is fetched from a relay that holds the stream (its
 * `hls` URL in RELAYS, or a member's) and kept in Cloudflare's cache, so a popular stream's audience does not all reach one relay.
 *
 * - Media (init, segments, parts) never changes under its name (the names carry the output's id and sequence
 *   numbers): cached (Workers Cache API) once fetched. A part requested before it exists (a preload hint) is held
 *   by the relay; concurrent requests for one object in this isolate share one relay request.
 * - Playlists are kept at most one part duration (PART-TARGET, in this isolate), so the live edge stays live;
 *   blocking reloads (`_HLS_msn`/`_HLS_part`) go to the relay, identical ones in flight shared.
 * - A guarded relay names its media under a session path (`../s/<token>/<stream>/<file>`, so `/hls/s/…` here): the
 *   edge checks the token itself (hls-session.ts) and keys the object without it, so viewers with different tokens
 *   share one copy; the playlist, which carries the viewer's credential (`?token=` or `Authorization`), goes to the
 *   relay for each credential, which decides (and refuses a revoked or expired one).
 * `x-siphon-cache` says which: hit, miss, shared.
 */
import type { Context } from 'hono';
import { apiError } from '../../contract/error-body.ts';
import { claims } from './state.ts';
import { relaysOf } from './members.ts';
import { RelayClient, type RelayConfig } from './relays.ts';
import { checkSessionPath } from './hls-session.ts';

interface Fetched { status: number; type: string; body: ArrayBuffer }

const inFlight = new Map<string, Promise<Fetched>>();
/**
 * Media this isolate fetched lately, until the cache surely has it: `cache.put` completes after the answer, and a
 * request in that gap would reach the relay again (seen: 75 relay requests for 35 objects).
 */
const recentMedia = new Map<string, { fetched: Fetched; until: number }>();
const RECENT_MEDIA_MS = 10_000;
/** Entries kept per map (media lately fetched, playlists per credential) in one isolate. */
const KEPT_MAX = 300;
const playlists = new Map<string, { fetched: Fetched; until: number }>();
const relayOf = new Map<string, { base: string; until: number }>();
const RELAY_LOOKUP_MS = 2000;
const DEFAULT_PART_MS = 250;
const MEDIA_MAX_AGE_S = 60;

/**
 * The relay's HLS base for `name` (kept 2 s per isolate): the primary replica's, or, when it does not answer its
 * health check, the next replica's or copy's that does, so hls.js's own retries find the stream on another relay.
 */
async function hlsBase(env: Env, name: string): Promise<string> {
  const known = relayOf.get(name);
  if (known && known.until > Date.now()) return known.base;
  const record = await claims(env).get(name);
  if (!record) throw apiError(404, 'not_found', `no pull "${name}" at this edge`);
  const relays = new Map((await relaysOf(env)).map((r) => [r.id, r]));
  const holders = [...record.placements.map((p) => p.relay), ...(await claims(env).copies(name)).map((c) => c.relay)]
    .map((id) => relays.get(id)).filter((r): r is RelayConfig => r?.hls !== undefined);
  let relay = holders[0];
  for (const candidate of holders) {
    if (await new RelayClient(candidate).healthy()) { relay = candidate; break; }
  }
  if (!relay?.hls) throw apiError(404, 'not_found', `no relay that holds "${name}" has an HLS URL ("hls" in RELAYS, SIPHON_PUBLIC_HLS_URL on a member)`);
  relayOf.set(name, { base: relay.hls, until: Date.now() + RELAY_LOOKUP_MS });
  return relay.hls;
}

/** One relay request per object (`key`) at a time in this isolate; later callers share it. */
function shared(key: string, url: string, headers?: HeadersInit): { fetched: Promise<Fetched>; joined: boolean } {
  const pending = inFlight.get(key);
  if (pending) return { fetched: pending, joined: true };
  const fetched = fetch(url, { headers }).then(async (res) => ({ status: res.status, type: res.headers.get('content-type') ?? 'application/octet-stream', body: await res.arrayBuffer() }));
  inFlight.set(key, fetched);
  void fetched.finally(() => inFlight.delete(key)).catch(() => undefined); // the caller sees the failure
  return { fetched, joined: false };
}

/** Keeps `entry` under `key`, first dropping the oldest entries that are stale or past the cap (one per credential adds up). */
function keep(map: Map<string, { fetched: Fetched; until: number }>, key: string, entry: { fetched: Fetched; until: number }): void {
  const now = Date.now();
  for (const [k, v] of map) if (v.until <= now || map.size >= KEPT_MAX) map.delete(k); else break;
  map.delete(key);
  map.set(key, entry);
}

const remember = (url: string, fetched: Fetched) => keep(recentMedia, url, { fetched, until: Date.now() + RECENT_MEDIA_MS });

const partTargetMs = (text: string) => {
  const m = /#EXT-X-PART-INF:PART-TARGET=([\d.]+)/.exec(text);
  return m ? Number(m[1]) * 1000 : DEFAULT_PART_MS;
};

function answer(f: Fetched, cacheControl: string, how: string): Response {
  return new Response(f.body.slice(0), { status: f.status, headers: { // a copy each: one fetched body may answer many
    'content-type': f.type, 'cache-control': f.status === 200 ? cacheControl : 'no-store', 'x-siphon-cache': how, 'access-control-allow-origin': '*',
  } });
}

export async function hlsProxy(c: Context<{ Bindings: Env }>): Promise<Response> {
  const name = c.req.param('name')!;
  const file = c.req.param('file')!;
  const url = new URL(c.req.url);
  const upstream = `${await hlsBase(c.env, name)}/${encodeURIComponent(name)}/${encodeURIComponent(file)}${url.search}`;
  if (file.endsWith('.m3u8')) return playlist(c, upstream, url.searchParams.has('_HLS_msn'));
  return media(c, upstream, url.toString());
}

/** `/hls/s/<session token>/<name>/<file>`: a guarded relay's media, checked here, cached without the token. */
export async function hlsSessionMedia(c: Context<{ Bindings: Env }>): Promise<Response> {
  const [session, name, file] = [c.req.param('session')!, c.req.param('name')!, c.req.param('file')!];
  await checkSessionPath(c.env, session, name, file);
  const base = await hlsBase(c.env, name);
  const path = `${encodeURIComponent(name)}/${encodeURIComponent(file)}`;
  // Keyed apart from the open route's objects (`/hls/<name>/<file>`), or anyone could fetch a guarded relay's media
  // there once one admitted viewer had: the key drops the token, not the guard.
  return media(c, `${base}/s/${encodeURIComponent(session)}/${path}`, new URL(`/hls/s/_/${path}`, c.req.url).toString());
}

/** The viewer's credential goes along, and a playlist is kept per credential: it is the relay that decides. */
async function playlist(c: Context<{ Bindings: Env }>, upstream: string, blocking: boolean): Promise<Response> {
  const auth = c.req.header('authorization');
  const key = auth ? `${upstream} ${auth}` : upstream;
  const kept = blocking ? undefined : playlists.get(key);
  if (kept && kept.until > Date.now()) return answer(kept.fetched, 'no-cache', 'hit');
  const { fetched, joined } = shared(key, upstream, auth ? { authorization: auth } : undefined);
  const f = await fetched;
  if (!blocking && f.status === 200) keep(playlists, key, { fetched: f, until: Date.now() + partTargetMs(new TextDecoder().decode(f.body)) });
  return answer(f, 'no-cache', joined ? 'shared' : 'miss');
}

/** Media from `upstream`, known to this isolate and the cache as `key` (a URL without any session token). */
async function media(c: Context<{ Bindings: Env }>, upstream: string, key: string): Promise<Response> {
  const recent = recentMedia.get(key);
  if (recent && recent.until > Date.now()) return answer(recent.fetched, `public, max-age=${MEDIA_MAX_AGE_S}, immutable`, 'hit');
  const cache = caches.default;
  const cacheKey = new Request(key);
  const hit = await cache.match(cacheKey);
  if (hit) {
    const res = new Response(hit.body, hit);
    res.headers.set('x-siphon-cache', 'hit');
    return res;
  }
  const { fetched, joined } = shared(key, upstream);
  const f = await fetched;
  const res = answer(f, `public, max-age=${MEDIA_MAX_AGE_S}, immutable`, joined ? 'shared' : 'miss');
  if (f.status === 200 && !joined) {
    remember(key, f);
    c.executionCtx.waitUntil(cache.put(cacheKey, res.clone()));
  }
  return res;
}
