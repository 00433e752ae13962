/**
 * WHEP (draft-ietf-wish-whep) and WHIP (RFC 9725) on the relay's HTTP port: `POST /whep/<stream>` (play) or
 * `/whip/<stream>` (publish) with the client's SDP offer → 201, the answer, `Location` of the session and its
 * `ETag`; `PATCH` that resource with trickled candidates → 204, or with `If-Match: *` and new ICE credentials
 * (an ICE restart) → 200, Janus's new credentials and a new ETag; `DELETE` → 200. WCS's own WHIP path,
 * `POST /rest-api/stream/publish/<stream>`, answers as WCS does (202). Errors are the relay's JSON error body.
 */
import type { Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { bodyLimit } from 'hono/body-limit';
import { apiError } from '../../contract/error-body.ts';
import { streamName } from '../../contract/pull.ts';
import { bearerGuard } from '../../contract/bearer.ts';
import type { StreamRegistry } from '../streams/registry.ts';
import type { Stream } from '../streams/stream.ts';
import { SdpError } from '../sdp/description.ts';
import { MediaSessionError } from '../webrtc/media-session.ts';
import { JanusUnavailableError } from '../janus/client.ts';
import type { Logger } from '../log.ts';
import { SdpFragmentError } from './sdp-fragment.ts';
import { NameInUseError, type WishSessions } from './wish-sessions.ts';
import type { WishSession } from './wish-session.ts';
import type { AccessControl } from '../access/access-control.ts';
import { admitWish, checkOwner } from './wish-access.ts';

const MAX_BODY_BYTES = 64 * 1024;
const SDP = 'application/sdp';
const SDPFRAG = 'application/trickle-ice-sdpfrag';

export interface WishDeps {
  sessions: WishSessions;
  registry: Pick<StreamRegistry, 'get'>;
  /** A relay of an edge's CDN: a copy of a stream it lacks, asked of the edge (RelayContext.demand). */
  demand?: (name: string) => Promise<Stream | undefined>;
  /** SIPHON_WHEP_TOKEN: one static credential for every WHIP/WHEP request; unused when signed tokens are configured. */
  token: () => string;
  access: AccessControl;
  nodeId: string;
  /** `url` or `url|username|credential` each (SIPHON_WHIP_WHEP_ICE_SERVERS). */
  iceServers: readonly string[];
  log: Logger;
}

/** RFC 9725 §4.6: one `Link: <url>; rel="ice-server"` per server, TURN with its credentials. */
export function iceServerLinks(servers: readonly string[]): string[] {
  const quoted = (v: string) => `"${v.replace(/["\\]/g, '')}"`;
  return servers.map((entry) => {
    const [url, username, credential] = entry.split('|').map((p) => p.trim());
    const auth = username !== undefined && credential !== undefined
      ? `; username=${quoted(username)}; credential=${quoted(credential)}; credential-type="password"` : '';
    return `<${url}>; rel="ice-server"${auth}`;
  });
}

function requireType(c: Context, type: string): void {
  const given = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (given !== type) throw apiError(415, 'unsupported_media_type', `send the body as ${type} (got ${given || 'no content type'})`);
}

export function addWishRoutes(app: Hono, deps: WishDeps): void {
  const links = iceServerLinks(deps.iceServers);
  for (const prefix of ['/whep', '/whip'] as const) {
    // cors() answers preflights itself: what a WHIP/WHEP OPTIONS must also say is added on the way out.
    app.use(`${prefix}/*`, async (c, next) => {
      await next();
      if (c.req.method !== 'OPTIONS') return;
      if (c.req.path.split('/').length > 3) c.header('Accept-Patch', SDPFRAG); else c.header('Accept-Post', SDP);
    });
    app.use(`${prefix}/*`, cors({
      origin: '*', allowMethods: ['POST', 'PATCH', 'DELETE', 'OPTIONS'], allowHeaders: ['Content-Type', 'Authorization', 'If-Match'],
      exposeHeaders: ['Location', 'ETag', 'Link', 'Accept-Post', 'Accept-Patch'],
    }));
    app.options(`${prefix}/*`, (c) => c.body(null, 204));
    app.use(`${prefix}/*`, bearerGuard(() => (deps.access.tokensConfigured ? '' : deps.token())));
    app.use(`${prefix}/*`, bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => { throw apiError(413, 'too_large', `the body is over ${MAX_BODY_BYTES / 1024} KiB`); } }));
    app.patch(`${prefix}/:name/:session`, (c) => patch(c, deps, prefix));
    app.delete(`${prefix}/:name/:session`, (c) => remove(c, deps, prefix));
  }
  app.post('/whep/:name', async (c) => {
    requireType(c, SDP);
    const name = c.req.param('name');
    // Decided before the lookup: whether a stream exists is not for a client that may not play it.
    const grant = await admitWish(c, deps.access, 'whep', name, deps.nodeId);
    const here = deps.registry.get(name);
    const stream = here && !here.isClosed ? here : await deps.demand?.(name);
    if (!stream || stream.isClosed) throw apiError(404, 'not_found', `no stream "${name}" on this relay`);
    const offer = await c.req.text();
    return created(c, '/whep', await deps.sessions.play(stream, offer, grant).catch((err) => { throw wishError(err); }), 201, links);
  });
  const publish = (status: 201 | 202, prefix: string) => async (c: Context) => {
    requireType(c, SDP);
    const name = streamName.safeParse(c.req.param('name'));
    if (!name.success) throw apiError(400, 'bad_request', `stream name: ${name.error.issues[0]?.message}`);
    const grant = await admitWish(c, deps.access, 'whip', name.data, deps.nodeId);
    const offer = await c.req.text();
    return created(c, prefix, await deps.sessions.publish(name.data, offer, grant).catch((err) => { throw wishError(err); }), status, links);
  };
  app.post('/whip/:name', publish(201, '/whip'));
  // WCS's WHIP: same publisher, WCS's code; its resource is the /whip one.
  app.post('/rest-api/stream/publish/:name', publish(202, '/whip'));
}

function created(c: Context, prefix: string, { session, answer }: { session: WishSession; answer: string }, status: 201 | 202, links: string[]) {
  for (const link of links) c.header('Link', link, { append: true });
  return c.body(answer, status, {
    'Content-Type': SDP, Location: `${prefix}/${encodeURIComponent(session.streamName)}/${session.id}`, ETag: session.etag, 'Accept-Patch': SDPFRAG,
  });
}

function sessionOf(c: Context, deps: WishDeps, prefix: string): WishSession {
  const session = deps.sessions.get(c.req.param('session')!);
  if (!session || session.streamName !== c.req.param('name') || `/${session.kind}` !== prefix) {
    throw apiError(404, 'not_found', `no such ${prefix.slice(1).toUpperCase()} session`);
  }
  return session;
}

async function patch(c: Context, deps: WishDeps, prefix: string) {
  const session = sessionOf(c, deps, prefix);
  const grant = await checkOwner(c, deps.access, session.owner);
  if (grant) deps.sessions.renew(session, grant);
  requireType(c, SDPFRAG);
  const ifMatch = c.req.header('if-match');
  if (ifMatch === '*') {
    const fragment = await session.restartIce(await c.req.text()).catch((err) => { throw wishError(err); });
    deps.log.info(`${session.kind}.ice_restarted`, { session: session.id, stream: session.streamName });
    return c.body(fragment, 200, { 'Content-Type': SDPFRAG, ETag: session.etag });
  }
  if (ifMatch !== undefined && ifMatch !== session.etag) throw apiError(412, 'precondition_failed', `the session's ETag is ${session.etag}`);
  await session.trickle(await c.req.text()).catch((err) => { throw wishError(err); });
  return c.body(null, 204);
}

async function remove(c: Context, deps: WishDeps, prefix: string) {
  const session = sessionOf(c, deps, prefix);
  await checkOwner(c, deps.access, session.owner);
  deps.sessions.close(session.id);
  deps.log.info(`${session.kind}.session_deleted`, { session: session.id, stream: session.streamName });
  return c.body(null, 200);
}

function wishError(err: unknown) {
  if (err instanceof SdpError || err instanceof SdpFragmentError) return apiError(400, 'bad_sdp', err.message);
  if (err instanceof NameInUseError) return apiError(409, 'conflict', err.message);
  if (err instanceof MediaSessionError) return apiError(400, 'not_playable', err.message);
  if (err instanceof JanusUnavailableError) return apiError(503, 'media_server_unavailable', err.message);
  return err; // anything else is the relay's own fault: onError answers 500 and logs it
}
