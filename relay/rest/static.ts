/**
 * Serves a directory read-only under a URL prefix (the SDK package at /client2/, our pages, janus.js).
 * Paths are resolved inside the root; anything escaping it is a 404.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Context } from 'hono';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.png': 'image/png', '.jpg': 'image/jpeg',
  '.gif': 'image/gif', '.svg': 'image/svg+xml', '.ico': 'image/x-icon', '.woff': 'font/woff', '.woff2': 'font/woff2',
  '.ttf': 'font/ttf', '.eot': 'application/vnd.ms-fontobject', '.mp4': 'video/mp4', '.map': 'application/json',
};

export function staticDir(prefix: string, root: string) {
  return async (c: Context): Promise<Response> => {
    let rel = decodeURIComponent(c.req.path.slice(prefix.length));
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    const file = normalize(join(root, rel));
    if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) return c.notFound();
    try {
      const info = await stat(file);
      if (!info.isFile()) return c.notFound();
      const body = await readFile(file);
      return new Response(body, { headers: { 'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', 'cache-control': 'no-cache' } });
    } catch {
      return c.notFound();
    }
  };
}
