/**
 * The relay's HTTP surface: WCS-shaped REST under /rest-api (CORS *, bearer token when configured),
 * WHEP under /whep, /health, /metrics, the SDK's pages at /client2/, Siphon's viewer and index pages.
 */
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { bodyLimit } from 'hono/body-limit';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { RelayView } from './relay-view.ts';
import { apiError, errorRenderer } from '../../contract/error-body.ts';
import { readBody } from './body.ts';
import { relayRestGuard } from './rest-keys.ts';
import { metricsRegistry } from './metrics.ts';
import { addStaticRoutes } from './static-routes.ts';
import { hlsPath, hlsRecord } from './stream-records.ts';
import { addStreamRoutes } from './stream-routes.ts';
import { addConnectionRoutes } from './connection-routes.ts';
import { addPullRoutes } from './pull-routes.ts';
import { addWishRoutes } from '../wish/wish-routes.ts';
import { addPushRoutes } from './rtmp-push-routes.ts';
import { addRecordRoutes } from './record-routes.ts';
import { addAccessRoutes } from './access-routes.ts';
import { statPage } from './stat-page.ts';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const sdkDir = dirname(require.resolve('@flashphoner/websdk/package.json'));
const janusJsDir = dirname(require.resolve('janus-gateway'));
const hlsJsDir = dirname(require.resolve('hls.js/dist/hls.min.js'));
const adapterDir = dirname(createRequire(require.resolve('janus-gateway')).resolve('webrtc-adapter/out/adapter.js'));

const viewerEventSchema = z.object({
  stream: z.string().min(1).max(256),
  event: z.enum(['first_frame', 'reconnect', 'error']),
  ms: z.number().nonnegative().max(600_000).optional(),
  detail: z.string().max(200).optional(),
}).strict();

export function buildApp(relay: RelayView): Hono {
  const { config, log } = relay.ctx;
  const app = new Hono();
  app.onError(errorRenderer((path, err) => log.error('http.unhandled_error', { path, err })));
  app.notFound((c) => c.json({ error: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` }, 404));

  const guard = bodyLimit({ maxSize: 64 * 1024, onError: () => { throw apiError(400, 'bad_request', 'request body is over 64 KiB'); } });
  const auth = relayRestGuard(config, relay.edgeLink && (() => relay.edgeLink!.credentials()));
  app.use('/rest-api/*', cors({ origin: '*', allowHeaders: ['Content-Type', 'Authorization'], allowMethods: ['GET', 'POST', 'OPTIONS'] }));
  app.use('/rest-api/*', auth, guard);
  app.use('/metrics', auth);

  addPullRoutes(app, relay);
  addPushRoutes(app, relay.rtmpPushes);
  addRecordRoutes(app, relay.recordings, relay.recordUrls);
  addAccessRoutes(app, relay.ctx.access);
  addWishRoutes(app, { sessions: relay.wish, registry: relay.ctx.registry, demand: relay.ctx.demand, token: () => config.whepToken, access: relay.ctx.access,
    nodeId: relay.ctx.nodeId, iceServers: config.whipWhepIceServers, log: log.child({ component: 'wish' }) });

  addStreamRoutes(app, relay);
  addConnectionRoutes(app, relay);

  app.get('/health', (c) => {
    const j = relay.ctx.janus;
    const demo = relay.demo;
    const body = {
      status: j.state === 'up' ? 'ok' : 'degraded',
      janus: { state: j.state, pid: j.pid ?? null, restarts: j.restarts, lastError: j.lastError || null },
      streams: relay.ctx.registry.all().length,
      sessions: relay.wcs.sessions.size,
      testSource: demo ? {
        stream: demo.stream.name, state: demo.source.state, restarts: demo.source.restarts, lastError: demo.source.lastError,
        since: new Date(demo.source.since).toISOString(), mountpoint: demo.stream.viewerMountpoint ?? null,
      } : null,
      hls: relay.hls.all().map((h) => ({ stream: h.id, ...hlsRecord(relay, h.id) })),
      node: process.version,
      uptimeSeconds: Math.round(process.uptime()),
    };
    return c.json(body, j.state === 'up' ? 200 : 503);
  });

  const metrics = metricsRegistry(relay);
  app.get('/metrics', async (c) => c.body(await metrics.metrics(), 200, { 'content-type': metrics.contentType }));

  // WCS's statistics page (its web console marks a node alive by it): public like WCS's, guarded like /metrics when
  // REST keys are set; CORS, since the console polls every node from one page.
  const stat = statPage({ metrics, mediaPairs: Math.floor((config.teePorts.to - config.teePorts.from + 1) / 2) });
  app.get('/', async (c, next) => {
    if (c.req.query('action') !== 'stat') return next();
    await auth(c, async () => undefined);
    const { json, body } = await stat(c.req.query('format'));
    return c.body(body, 200, { 'content-type': json ? 'application/json' : 'text/plain; charset=utf-8', 'access-control-allow-origin': '*', 'cache-control': 'no-store' });
  });

  app.get('/api/streams', (c) => {
    const pulls = new Map(relay.pulls.all().map((p) => [p.spec.localStreamName, p]));
    return c.json(relay.ctx.registry.all().filter((s) => s.viewerMountpoint).map((s) => {
      const link = s.origin === 'pull' ? pulls.get(s.name)?.link : undefined;
      return {
        name: s.name, status: s.status, origin: s.origin, hasAudio: !!s.codecs.audio, hasVideo: !!s.codecs.video,
        videoCodec: s.codecs.video?.name ?? null, players: s.players.length, createdAt: new Date(s.createdAt).toISOString(),
        hls: { path: hlsPath(s.name), port: config.hlsPort, tlsPort: config.tlsCert ? config.hlsTlsPort : null, state: relay.hls.get(s.name)?.state ?? null },
        // A pull's link as its row shows it; the rest of it is behind the REST token, in /rest-api/pull/find_all.
        link: link ? { rttMs: link.rttMs, lossAfterRepairPct: link.lossAfterRepairPct } : null,
      };
    }));
  });

  app.post('/api/viewer-events', guard, async (c) => {
    const e = await readBody(c, viewerEventSchema);
    log.info(`viewer.${e.event}`, { stream: e.stream, ms: e.ms, detail: e.detail });
    return c.body(null, 204);
  });

  addStaticRoutes(app, { sdk: sdkDir, janusJs: janusJsDir, adapter: adapterDir, hlsJs: hlsJsDir, web: join(here, '..', 'web') });
  return app;
}
