/**
 * WHEP (draft-ietf-wish-whep) on the relay's HTTP port: `POST /whep/<stream>` with the player's SDP offer →
 * 201, the answer, `Location` of the session and its `ETag`; `PATCH` that resource with trickled candidates →
 * 204; `DELETE` → 200. Errors are the relay's JSON error body.
 */
import type { Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { bodyLimit } from 'hono/body-limit';
import { apiError } from '../../../contract/error-body.ts';
import { bearerGuard } from '../../../contract/bearer.ts';
import type { StreamRegistry } from '../../streams/registry.ts';
import { SdpError } from '../../sdp/session.ts';
import { MediaSessionError } from '../../wcs/media-session.ts';
import { JanusUnavailableError } from '../../janus/client.ts';
import type { Logger } from '../../log.ts';
import { SdpFragmentError } from './sdp-fragment.ts';
import type { WhepSessions } from './whep-sessions.ts';

const MAX_BODY_BYTES = 64 * 1024;
const SDP = 'application/sdp';
const SDPFRAG = 'application/trickle-ice-sdpfrag';

export interface WhepDeps {
  whep: WhepSessions;
  registry: Pick<StreamRegistry, 'get'>;
  token: () => string;
  log: Logger;
}

function requireType(c: Context, type: string): void {
  const given = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (given !== type) throw apiError(415, 'unsupported_media_type', `send the body as ${type} (got ${given || 'no content type'})`);
}

export function addWhepRoutes(app: Hono, deps: WhepDeps): void {
  // cors() answers preflights itself: what a WHEP OPTIONS must also say is added on the way out.
  app.use('/whep/*', async (c, next) => {
    await next();
    if (c.req.method === 'OPTIONS') c.header(c.req.path.split('/').length > 3 ? 'Accept-Patch' : 'Accept-Post', c.req.path.split('/').length > 3 ? SDPFRAG : SDP);
  });
  app.use('/whep/*', cors({
    origin: '*', allowMethods: ['POST', 'PATCH', 'DELETE', 'OPTIONS'], allowHeaders: ['Content-Type', 'Authorization', 'If-Match'],
    exposeHeaders: ['Location', 'ETag', 'Link', 'Accept-Post', 'Accept-Patch'],
  }));
  app.options('/whep/*', (c) => c.body(null, 204));
  app.use('/whep/*', bearerGuard(deps.token));
  app.use('/whep/*', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => { throw apiError(413, 'too_large', `the body is over ${MAX_BODY_BYTES / 1024} KiB`); } }));

  app.post('/whep/:name', async (c) => {
    requireType(c, SDP);
    const name = c.req.param('name');
    const stream = deps.registry.get(name);
    if (!stream || stream.isClosed) throw apiError(404, 'not_found', `no stream "${name}" on this relay`);
    const offer = await c.req.text();
    try {
      const { session, answer } = await deps.whep.open(stream, offer);
      return c.body(answer, 201, {
        'Content-Type': SDP, Location: `/whep/${encodeURIComponent(name)}/${session.id}`, ETag: session.etag, 'Accept-Patch': SDPFRAG,
      });
    } catch (err) {
      throw whepError(err);
    }
  });

  app.patch('/whep/:name/:session', async (c) => {
    const session = deps.whep.get(c.req.param('session'));
    if (!session || session.streamName !== c.req.param('name')) throw apiError(404, 'not_found', 'no such WHEP session');
    requireType(c, SDPFRAG);
    const ifMatch = c.req.header('if-match');
    if (ifMatch === '*') throw apiError(501, 'not_implemented', 'ICE restart is not supported yet: DELETE the session and POST a new offer');
    if (ifMatch !== undefined && ifMatch !== session.etag) throw apiError(412, 'precondition_failed', `the session's ETag is ${session.etag}`);
    try {
      await session.trickle(await c.req.text());
    } catch (err) {
      throw whepError(err);
    }
    return c.body(null, 204);
  });

  app.delete('/whep/:name/:session', (c) => {
    const id = c.req.param('session');
    if (deps.whep.get(id)?.streamName !== c.req.param('name') || !deps.whep.close(id)) throw apiError(404, 'not_found', 'no such WHEP session');
    deps.log.info('whep.session_deleted', { session: id, stream: c.req.param('name') });
    return c.body(null, 200);
  });
}

function whepError(err: unknown) {
  if (err instanceof SdpError || err instanceof SdpFragmentError) return apiError(400, 'bad_sdp', err.message);
  if (err instanceof MediaSessionError) return apiError(400, 'not_playable', err.message);
  if (err instanceof JanusUnavailableError) return apiError(503, 'media_server_unavailable', err.message);
  return err; // anything else is the relay's own fault: onError answers 500 and logs it
}
