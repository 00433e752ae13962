/**
 * The REST edge: WCS's pull API (same bodies and codes) in front of the relays. Validation comes from
 * the zod schemas that also generate the OpenAPI document; every error leaves through renderError.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { bodyLimit } from 'hono/body-limit';
import { apiError, errorRenderer } from '../../contract/error-body.ts';
import { requireKey } from './auth.ts';
import { findAllGet, findAllPost, pullRoute, revokeRoute, terminateRoute } from './routes.ts';
import { addRelayRoutes } from './relay-routes.ts';
import { revoke } from './revoke.ts';
import { createPull, terminate } from './pulls.ts';
import { findAllShared } from './find-all.ts';
import { docsPage } from './docs.ts';
import { hlsProxy, hlsSessionMedia } from './hls-proxy.ts';
import { play } from './play.ts';
import { statPage } from './stat.ts';

const DOC_CONFIG = {
  openapi: '3.0.0',
  info: {
    title: 'Siphon edge API', version: '1.0.0',
    description: "WCS-compatible pull API: pull a live WebRTC stream from a WCS server (or a Siphon relay) into one of Siphon's relays.",
  },
};

export function buildApp(): OpenAPIHono<{ Bindings: Env }> {
  const app = new OpenAPIHono<{ Bindings: Env }>({
    defaultHook: (result) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        throw apiError(400, 'bad_request', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
      }
    },
  });
  app.onError(errorRenderer((path, err) => console.error(JSON.stringify({ event: 'edge.unhandled_error', path, message: err.message }))));
  app.notFound((c) => c.json({ error: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` }, 404));
  app.use('/rest-api/*', cors({ origin: '*', allowHeaders: ['Content-Type', 'Authorization'], allowMethods: ['GET', 'POST', 'OPTIONS'] }));
  app.use('/whep/*', cors({ origin: '*', allowHeaders: ['Content-Type', 'Authorization'], allowMethods: ['POST', 'OPTIONS'], exposeHeaders: ['Location'] }));
  const limit = bodyLimit({ maxSize: 64 * 1024, onError: () => { throw apiError(400, 'bad_request', 'request body is over 64 KiB'); } });
  app.use('/rest-api/pull/*', requireKey, limit);
  app.use('/rest-api/access/*', requireKey, limit);
  // join, heartbeat and leave carry their own credentials (members.ts); the operators' calls need a key.
  for (const path of ['/rest-api/relay/drain', '/rest-api/relay/rotate', '/rest-api/relay/find_all']) app.use(path, requireKey);
  app.use('/rest-api/relay/*', limit);
  // WCS tools and `curl -d` do not always send a JSON content type; the body is JSON either way. The
  // body is read here and handed on as text: re-wrapping the raw stream and leaving it unread made
  // workerd restart now and then (seen under the R4 fuzz run).
  const relabel: MiddlewareHandler = async (c, next) => {
    if (!/json/i.test(c.req.header('content-type') ?? '')) {
      const headers = new Headers(c.req.raw.headers);
      headers.set('content-type', 'application/json');
      c.req.raw = new Request(c.req.url, { method: 'POST', headers, body: await c.req.text() });
    }
    await next();
  };
  app.post('/rest-api/pull/pull', relabel);
  app.post('/rest-api/pull/terminate', relabel);
  app.post('/rest-api/access/revoke', relabel);
  app.post('/rest-api/relay/drain', relabel);
  app.post('/rest-api/relay/rotate', relabel);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'basic', { type: 'http', scheme: 'basic' });

  app.openapi(pullRoute, async (c) => c.json(await createPull(c.env, c.req.valid('json'), c.get('restKey').name), 200));
  // The shared answer is already JSON text; the route's schema documents it.
  const listing = async (c: Context<{ Bindings: Env }>) => c.body(await findAllShared(c.env), 200, { 'content-type': 'application/json' }) as never;
  app.openapi(findAllPost, listing);
  app.openapi(findAllGet, listing);
  app.openapi(terminateRoute, async (c) => c.json(await terminate(c.env, c.req.valid('json'), c.get('restKey').name), 200));
  app.openapi(revokeRoute, async (c) => c.json(await revoke(c.env, c.req.valid('json'), c.get('restKey').name), 200));

  addRelayRoutes(app);

  // Viewers' HLS: the keys guard the API, not playback; a guarded relay's playlist decides who plays, and its media
  // comes under session paths the edge checks itself.
  app.get('/hls/:name/:file', hlsProxy);
  app.get('/hls/s/:session/:name/:file', hlsSessionMedia);
  app.get('/rest-api/play/:name', play);
  app.post('/whep/:name', play);

  app.doc('/rest-api/openapi.json', DOC_CONFIG);
  app.get('/rest-api/docs', (c) => c.html(docsPage(DOC_CONFIG.info.title)));
  app.get('/', async (c, next) => {
    if (c.req.query('action') !== 'stat') return next();
    await requireKey(c, async () => undefined); // throws its 401/403/503 when the caller may not look
    return statPage(c);
  }, (c) => c.redirect('/rest-api/docs'));
  return app;
}
