/**
 * The edge as users run it (`wrangler dev`, real workerd) in front of real relays: the seed scenario
 * through the edge, reconciliation restoring a pull after relay B restarts, and the API docs page in Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import type { Browser } from 'playwright-core';
import { z } from '@hono/zod-openapi';
import { PullRecord, RelayPullRecord } from '../../contract/pull.ts';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { EdgeProcess } from '../harness/edge-process.ts';
import { launchBrowser, sampleFrames } from '../harness/browser.ts';
import { openPlayer, openTwoWay, publishOn } from '../harness/sdk-pages.ts';
import { hlsFrames, openHlsPlayer } from '../harness/hls-page.ts';
import { setTimeout as delay } from 'node:timers/promises';

const root = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'edge-test-token';
const RELAY_TOKEN = 'relay-b-test-token';

describe('edge (wrangler dev) in front of real relays', () => {
  let ns: NetNamespace;
  let a: RelayProcess;
  let b: RelayProcess;
  let edge: EdgeProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  const bEnv = () => ({ ...RelayProcess.slot(1), SIPHON_REST_TOKEN: RELAY_TOKEN });

  beforeAll(async () => {
    ns = NetNamespace.create();
    [a, b] = await Promise.all([RelayProcess.start(ns), RelayProcess.start(ns, bEnv())]);
    edge = await EdgeProcess.start(ns, {
      RELAYS: JSON.stringify([{ id: 'b', url: 'http://127.0.0.1:9080', hls: 'http://127.0.0.1:9082' }]),
      RELAY_TOKENS: JSON.stringify({ b: RELAY_TOKEN }), API_TOKEN: TOKEN,
    });
    ({ browser, close: closeBrowser } = await launchBrowser(ns));
    const pub = await openTwoWay(browser, a.pageUrl);
    await publishOn(pub.page, '6602');
  });

  afterAll(async () => {
    await closeBrowser?.();
    await edge?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    ns?.destroySync();
  });

  const call = (path: string, body?: unknown, token = TOKEN) => fetch(`${edge.url}/rest-api/pull/${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const statusAtEdge = async (name: string) => {
    const res = await call('find_all');
    if (res.status !== 200) return `HTTP ${res.status}`;
    return ((await res.json()) as { localStreamName: string; status: string }[]).find((p) => p.localStreamName === name)?.status;
  };

  it('seed: publish on A, pull through the edge into B, play on B, find_all, terminate, find_all → 404', async () => {
    expect((await call('pull', { uri: 'ws://127.0.0.1:8080', remoteStreamName: '6602', localStreamName: '6602' }, 'wrong')).status).toBe(401);
    const res = await call('pull', { uri: 'ws://127.0.0.1:8080', remoteStreamName: '6602', localStreamName: '6602' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ localStreamName: '6602', relay: 'b' });
    await expect.poll(() => statusAtEdge('6602'), { timeout: 20_000 }).toBe('PLAYING');

    const player = await openPlayer(browser, b.pageUrl, '6602');
    const frames = await sampleFrames(player.page, 3);
    expect(frames[3]!).toBeGreaterThan(frames[1]!);
    expect(frames[1]!).toBeGreaterThan(frames[0]!);
    await player.page.close();

    // One contract: what relay B serves is what the edge parses, and what the edge serves is its own record shape.
    const fromB = await fetch(`${b.url}/rest-api/pull/find_all`, { headers: { authorization: `Bearer ${RELAY_TOKEN}` } });
    const relayRecords = z.array(RelayPullRecord.strict()).parse(await fromB.json());
    const edgeRecords = z.array(PullRecord.strict()).parse(await (await call('find_all')).json());
    const { localMediaSessionId, remoteMediaSessionId, localStreamName, remoteStreamName, uri, videoCodec } = relayRecords[0]!;
    expect(edgeRecords[0]).toMatchObject({ localMediaSessionId, remoteMediaSessionId, localStreamName, remoteStreamName, uri, videoCodec, relay: 'b' });

    expect((await call('terminate', { localStreamName: '6602' })).status).toBe(200);
    const after = await call('find_all');
    expect(after.status).toBe(404);
    expect(await after.json()).toMatchObject({ error: 'not_found' });
    const onB = await fetch(`${b.url}/rest-api/pull/find_all`, { headers: { authorization: `Bearer ${RELAY_TOKEN}` } });
    expect(onB.status).toBe(404);
  });

  it('HTTPS on :8788 with the certificate scripts/edge-cert.sh makes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'siphon-edge-tls-'));
    const [cert, key] = execFileSync('bash', ['scripts/edge-cert.sh', dir], { cwd: root, encoding: 'utf8', env: { ...process.env, SIPHON_EDGE_CERT_HOST: ns.address } }).trim().split('\n');
    const secure = await EdgeProcess.start(ns, { RELAYS: '[]' }, 8788, { cert: cert!, key: key! });
    try {
      const dispatcher = new Agent({ connect: { ca: readFileSync(cert!) } });
      const doc = await fetch(`https://${ns.address}:8788/rest-api/openapi.json`, { dispatcher } as RequestInit);
      expect(doc.status).toBe(200);
      const bad = await fetch(`https://${ns.address}:8788/rest-api/pull/pull`, { dispatcher, method: 'POST', body: '{}' } as RequestInit);
      expect(bad.status).toBe(400);
    } finally {
      await secure.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('relay B restarted: after the scheduled handler runs, the pull is back and plays, with no user action', async () => {
    expect((await call('pull', { uri: 'ws://127.0.0.1:8080', remoteStreamName: '6602', localStreamName: 'kept' })).status).toBe(200);
    await expect.poll(() => statusAtEdge('kept'), { timeout: 20_000 }).toBe('PLAYING');

    await b.stop();
    b = await RelayProcess.start(ns, bEnv());
    expect(await statusAtEdge('kept')).toBe('LOST');
    await edge.runScheduled();
    await expect.poll(() => edge.log, { timeout: 10_000 }).toMatch(/"event":"edge.reconciled".*"recreated":\["kept"\]/);
    await expect.poll(() => statusAtEdge('kept'), { timeout: 20_000 }).toBe('PLAYING');
    const player = await openPlayer(browser, b.pageUrl, 'kept');
    const frames = await sampleFrames(player.page, 2);
    expect(frames[2]!).toBeGreaterThan(frames[0]!);
    await player.page.close();
    expect((await call('terminate', { localStreamName: 'kept' })).status).toBe(200);
  });

  it("HLS through the edge: hls.js plays /hls/<name>/…; 50 more clients on the edge cost the relay about one request per media object", async () => {
    expect((await call('pull', { uri: 'ws://127.0.0.1:8080', remoteStreamName: '6602', localStreamName: 'via-cdn' })).status).toBe(200);
    await expect.poll(() => statusAtEdge('via-cdn'), { timeout: 20_000 }).toBe('PLAYING');
    const src = 'http://127.0.0.1:8787/hls/via-cdn/via-cdn.m3u8';
    const page = await openHlsPlayer(browser, `${b.pageUrl}`, 'via-cdn', true, 45_000, src);
    const before = await hlsFrames(page);
    await expect.poll(() => hlsFrames(page), { timeout: 10_000 }).toBeGreaterThan(before);
    await page.close(); // the relay's count below is then the 50 clients' alone

    const servedByRelay = async () => {
      const rows = await (await fetch(`${b.url}/rest-api/stream/find_all`, { headers: { authorization: `Bearer ${RELAY_TOKEN}` } })).json() as { name: string; hls: { served: { parts: number; segments: number; inits?: number } } | null }[];
      const s = rows.find((r) => r.name === 'via-cdn')!.hls!.served;
      return s.parts + s.segments;
    };
    const objects = new Set<string>();
    const caches: Record<string, number> = {};
    const relayBefore = await servedByRelay();
    const base = `${edge.url}/hls/via-cdn/`;
    const until = Date.now() + 6000;
    await Promise.all(Array.from({ length: 50 }, async () => { // each a player polling the playlist and fetching what is new
      const seen = new Set<string>();
      while (Date.now() < until) {
        const text = await (await fetch(`${base}via-cdn.m3u8`)).text();
        const uris = [...text.matchAll(/(?:URI="|^)([^"#\s][^"\s]*\.m4s)/gm)].map((m) => m[1]!).slice(-6);
        for (const uri of uris.filter((u) => !seen.has(u))) {
          const res = await fetch(base + uri);
          if (res.status !== 200) continue; // a part not made yet, or out of the window
          await res.arrayBuffer();
          seen.add(uri);
          objects.add(uri);
          const how = res.headers.get('x-siphon-cache') ?? '?';
          caches[how] = (caches[how] ?? 0) + 1;
        }
        await delay(200);
      }
    }));
    const relayRequests = (await servedByRelay()) - relayBefore;
    console.log(`edge HLS: ${objects.size} media objects, ${Object.values(caches).reduce((a, n) => a + n, 0)} fetched by 50 clients (${JSON.stringify(caches)}), ${relayRequests} reached the relay`);
    expect(objects.size).toBeGreaterThan(5);
    expect(relayRequests).toBeLessThanOrEqual(2 * objects.size);
    // Nearly every fetch is served by the edge without the relay: from its cache (`hit`), or joined to an identical
    // request already in flight (`shared`). A share, not a count: a busy machine lets the clients fetch less.
    const fetched = Object.values(caches).reduce((a, n) => a + n, 0);
    expect(((caches.hit ?? 0) + (caches.shared ?? 0)) / fetched).toBeGreaterThan(0.8);
    expect((await call('terminate', { localStreamName: 'via-cdn' })).status).toBe(200);
  });

  it('API docs: Swagger UI, served by the edge alone, shows the pull routes with their body schemas', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    try {
      const elsewhere: string[] = [];
      page.on('request', (r) => { if (!r.url().startsWith(`${edge.url}/`) && !r.url().startsWith('data:')) elsewhere.push(r.url()); });
      await page.goto(`${edge.url}/rest-api/docs`);
      // The page's onComplete mark, then the pull route's request-body schema: the $refs are resolved.
      await page.waitForSelector('body[data-docs="ready"]');
      await page.waitForSelector('#operations-default-post_rest_api_pull_pull .opblock-section-request-body .model-box');
      mkdirSync(join(root, '.run'), { recursive: true });
      await page.screenshot({ path: join(root, '.run/edge-docs.png'), fullPage: true });
      const text = await page.innerText('body');
      for (const shown of ['/rest-api/pull/pull', 'localStreamName', 'remoteStreamName']) expect(text).toContain(shown);
      expect(text).not.toContain('$ref');
      expect(elsewhere).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
