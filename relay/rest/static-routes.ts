/**
 * Read-only files: the SDK package at /client2/ (its own demo pages), janus.js, its WebRTC adapter and hls.js under
 * /vendor/, Siphon's pages at /. serveStatic refuses `..` segments, so nothing outside a root is served (404).
 */
import type { Hono, MiddlewareHandler } from 'hono';
import { serveStatic } from '@hono/node-server/serve-static';

/** Absolute directories; serveStatic joins the request path onto them, so they need not be under process.cwd(). */
export interface StaticRoots {
  sdk: string;
  janusJs: string;
  adapter: string;
  /** hls.js's dist/ (the HLS player page). */
  hlsJs: string;
  web: string;
}

export function addStaticRoutes(app: Hono, roots: StaticRoots): void {
  app.get('/client2/*', noCache, serveStatic({ root: roots.sdk, rewriteRequestPath: (path) => path.slice('/client2'.length) }));
  app.get('/vendor/janus.es.js', noCache, serveStatic({ root: roots.janusJs, path: 'janus.es.js' }));
  app.get('/vendor/adapter.js', noCache, serveStatic({ root: roots.adapter, path: 'adapter.js' }));
  app.get('/vendor/hls.min.js', noCache, serveStatic({ root: roots.hlsJs, path: 'hls.min.js' }));
  app.get('/*', noCache, serveStatic({ root: roots.web }));
}

/**
 * The files change with every deploy and their URLs carry no version, so browsers must revalidate.
 * Set after the file is served: serveStatic's onFound runs after it built the response, too late for a header.
 */
const noCache: MiddlewareHandler = async (c, next) => {
  await next();
  if (c.res.ok) c.res.headers.set('cache-control', 'no-cache');
};
