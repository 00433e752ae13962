/**
 * The relay's static mounts (serveStatic from @hono/node-server) against temp dirs outside process.cwd(), served
 * by the same request listener the relay uses: requests go over a socket so `..` reaches the app unnormalized.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';
import { getRequestListener } from '@hono/node-server';
import { addStaticRoutes } from '../../../relay/rest/static-routes.ts';

const files: Record<string, string> = {
  'secret.txt': 'outside every root',
  'sdk/flashphoner.js': 'sdk',
  'sdk/examples/index.html': 'examples index',
  'janus/janus.es.js': 'janus',
  'janus/janus.js': 'not mounted',
  'adapter/adapter.js': 'adapter',
  'web/index.html': 'siphon index',
  'web/viewer.js': 'viewer',
};

describe('static mounts', () => {
  let base: string;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'siphon-rest-static-'));
    for (const [path, body] of Object.entries(files)) {
      mkdirSync(dirname(join(base, path)), { recursive: true });
      writeFileSync(join(base, path), body);
    }
    const app = new Hono();
    addStaticRoutes(app, { sdk: join(base, 'sdk'), janusJs: join(base, 'janus'), adapter: join(base, 'adapter'), hlsJs: join(base, 'hls'), web: join(base, 'web') });
    server = createServer(getRequestListener(app.fetch));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    rmSync(base, { recursive: true, force: true });
  });

  // node:http sends the path as written; fetch would resolve `..` before it left the test.
  const get = (path: string) => new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => { body += chunk; })
        .on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject).end();
  });

  it('serves each mount from its own root, with a content type and cache-control: no-cache', async () => {
    for (const [path, body, type] of [
      ['/client2/flashphoner.js', 'sdk', 'text/javascript'],
      ['/vendor/janus.es.js', 'janus', 'text/javascript'],
      ['/vendor/adapter.js', 'adapter', 'text/javascript'],
      ['/viewer.js', 'viewer', 'text/javascript'],
      ['/index.html', 'siphon index', 'text/html'],
    ]) {
      const res = await get(path!);
      expect(res, path).toMatchObject({ status: 200, body, headers: { 'cache-control': 'no-cache' } });
      expect(res.headers['content-type'], path).toMatch(new RegExp(`^${type}`));
    }
  });

  it('answers a directory with its index.html', async () => {
    for (const [path, body] of [['/', 'siphon index'], ['/client2/examples/', 'examples index'], ['/client2/examples', 'examples index']]) {
      expect(await get(path!), path).toMatchObject({ status: 200, body });
    }
  });

  it('is 404 for paths that leave a root, plain or percent-encoded, and for files no mount names', async () => {
    for (const path of ['/client2/../secret.txt', '/client2/%2e%2e/secret.txt', '/client2/..%2fsecret.txt', '/client2/..%5csecret.txt',
      '/client2/examples/../../secret.txt', '/vendor/../secret.txt', '/../secret.txt', '/%2e%2e/secret.txt', '//secret.txt',
      '/vendor/janus.js', '/client2/missing.js', '/client2/examples/index.html/']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain('outside every root');
      expect(res.headers['cache-control'], path).toBeUndefined();
    }
  });
});
