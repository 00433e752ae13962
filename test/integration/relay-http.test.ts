/**
 * The relay with a real Janus, no browser: REST shapes and errors, the bearer token, health and
 * metrics, the viewer proxy's filter, and wss/https with a certificate the test makes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import WebSocket from 'ws';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { RawWcsClient } from '../harness/wcs-client.ts';
import { makeCertificate } from '../harness/certificate.ts';

const TOKEN = 'test-token-not-a-secret';

/** Speaks the Janus protocol through the relay's /janus viewer proxy, one request at a time. */
async function janusProxy(url: string) {
  const ws = new WebSocket(url, 'janus-protocol');
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const next = () => new Promise<Record<string, any>>((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))));
  return {
    async request(m: Record<string, unknown>): Promise<Record<string, any>> {
      ws.send(JSON.stringify(m));
      let reply = await next();
      while (reply.janus === 'ack') reply = await next();
      return reply;
    },
    close: () => ws.close(),
  };
}

describe('relay HTTP surface with a real Janus', () => {
  let ns: NetNamespace;
  let relay: RelayProcess;
  let dir: string;
  let tls: { cert: string; key: string };

  beforeAll(async () => {
    ns = NetNamespace.create();
    dir = mkdtempSync(join(tmpdir(), 'siphon-tls-'));
    tls = makeCertificate(dir, ns.address);
    relay = await RelayProcess.start(ns, {
      SIPHON_REST_TOKEN: TOKEN, SIPHON_DEMO_STREAM: 'demo', SIPHON_TLS_CERT: tls.cert, SIPHON_TLS_KEY: tls.key,
      SIPHON_WCS_AGENT_SSL: 'true',
    });
  });

  afterAll(async () => {
    await relay?.stop();
    ns?.destroySync();
    rmSync(dir, { recursive: true, force: true });
  });

  const auth = { authorization: `Bearer ${TOKEN}` };
  const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
    fetch(`${relay.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('REST without the token (or with a wrong one) is 401 with a JSON error; /health stays open', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: TOKEN }] as Record<string, string>[]) {
      const res = await post('/rest-api/stream/find_all', {}, headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'unauthorized', message: expect.stringContaining('missing or wrong API key') });
    }
    expect((await fetch(`${relay.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${relay.url}/health`)).status).toBe(200);
  });

  it('find_all answers CORS preflights and 404s with a JSON body when nothing is published', async () => {
    const pre = await fetch(`${relay.url}/rest-api/stream/find_all`, { method: 'OPTIONS', headers: { origin: 'http://elsewhere', 'access-control-request-method': 'POST' } });
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    const res = await fetch(`${relay.url}/rest-api/stream/find_all`, { headers: auth });
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.json()).toMatchObject({ error: 'not_found' });
  });

  it.each([
    ['/rest-api/stream/terminate', 'not json', 'request body is not valid JSON'],
    ['/rest-api/stream/terminate', '', 'request body must be a JSON object'],
    ['/rest-api/stream/terminate', { mediaSessionIds: 'ms-1' }, 'mediaSessionIds'],
    ['/rest-api/stream/snapshot', {}, 'streamName'],
    ['/rest-api/stream/terminate', { mediaSessionId: 7 }, 'mediaSessionId'],
    ['/rest-api/stream/find', { name: 'x', extra: true }, 'Unrecognized key'],
    ['/rest-api/stream/find', [1, 2], 'body'],
  ])('%s with %j → 400 saying why', async (path, body, why) => {
    const res = await post(path, body);
    expect(res.status).toBe(400);
    const json = await res.json() as { error: string; message: string };
    expect(json.error).toBe('bad_request');
    expect(json.message).toContain(why);
  });

  it('bodies over 64 KiB → 400; unknown routes → 404 JSON', async () => {
    const res = await post('/rest-api/stream/find', { name: 'x'.repeat(70_000) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'bad_request', message: 'request body is over 64 KiB' });
    const missing = await fetch(`${relay.url}/rest-api/nothing`, { headers: auth });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
  });

  it('health reports Janus; metrics are Prometheus text with counters moving', async () => {
    const health = await (await fetch(`${relay.url}/health`)).json() as { status: string; janus: { state: string; pid: number } };
    expect(health).toMatchObject({ status: 'ok', janus: { state: 'up', restarts: 0 }, streams: 1 });
    expect(health.janus.pid).toBeGreaterThan(0);
    expect(health).toMatchObject({ node: expect.stringMatching(/^v24\./) });
    await expect.poll(async () => (await (await fetch(`${relay.url}/health`)).json() as { testSource: unknown }).testSource)
      .toMatchObject({ stream: 'demo', state: 'running', restarts: 0, mountpoint: 'demo' });
    const read = async () => Number(/^siphon_media_bytes_in_total (\d+)$/m.exec(await (await fetch(`${relay.url}/metrics`, { headers: auth })).text())![1]);
    const first = await read();
    await relay.waitFor((l) => l.event === 'mountpoint.created'); // media is flowing by now
    const text = await (await fetch(`${relay.url}/metrics`, { headers: auth })).text();
    expect(text).toMatch(/^# TYPE siphon_streams gauge$/m);
    expect(text).toMatch(/^siphon_streams 1$/m);
    expect(text).toMatch(/^siphon_janus_up 1$/m);
    expect(text).toMatch(/^siphon_janus_mountpoints 1$/m); // the demo stream's, as Janus itself reports
    expect(Number(/^siphon_janus_sessions (\d+)$/m.exec(text)![1])).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^siphon_media_packets_lost 0$/m);
    // Where the relay's memory is, so a growing RSS can be told apart from a leak (B6).
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
    expect(gauge('siphon_process_heap_total_bytes')).toBeGreaterThanOrEqual(gauge('siphon_process_heap_used_bytes'));
    expect(gauge('siphon_v8_new_space_bytes')).toBeGreaterThan(0);
    expect(gauge('siphon_v8_code_space_bytes')).toBeGreaterThan(0);
    expect(gauge('siphon_process_external_bytes')).toBeGreaterThan(0);
    expect(text).toMatch(/^siphon_event_loop_lag_p99_ms [\d.]+$/m);
    await expect.poll(read).toBeGreaterThan(first);
  });

  it('the viewer proxy lets a viewer list and watch mountpoints but not create, destroy or use NoSIP', async () => {
    const janus = await janusProxy(`${relay.wsUrl}/janus`);
    const session_id = (await janus.request({ janus: 'create', transaction: 'a' })).data.id;
    const handle_id = (await janus.request({ janus: 'attach', session_id, plugin: 'janus.plugin.streaming', transaction: 'b' })).data.id;
    const list = await janus.request({ janus: 'message', session_id, handle_id, body: { request: 'list' }, transaction: 'c' });
    expect(list.plugindata.data.list.map((m: { id: string }) => m.id)).toContain('demo');
    expect(await janus.request({ janus: 'message', session_id, handle_id, body: { request: 'destroy', id: 'demo' }, transaction: 'd' }))
      .toMatchObject({ janus: 'error', transaction: 'd', error: { code: 403 } });
    expect(await janus.request({ janus: 'attach', session_id, plugin: 'janus.plugin.nosip', transaction: 'e' }))
      .toMatchObject({ janus: 'error', transaction: 'e', error: { code: 403 } });
    janus.close();
  });

  it('serves the SDK package, its demo pages and our pages', async () => {
    for (const path of ['/client2/flashphoner.js', '/client2/examples/demo/streaming/player/player.html',
      '/client2/examples/demo/dependencies/js/utils.js', '/', '/viewer.html', '/vendor/janus.es.js', '/vendor/adapter.js']) {
      const res = await fetch(relay.url + path);
      expect(res.status, path).toBe(200);
    }
    expect((await fetch(`${relay.url}/client2/../../package.json`)).status).toBe(404);
    expect((await fetch(`${relay.url}/client2/%2e%2e/%2e%2e/package.json`)).status).toBe(404);
  });

  it('a wss pull keeps TLS verification on: a self-made certificate nobody configured is refused, and retried', async () => {
    const res = await post('/rest-api/pull/pull', { uri: `wss://${ns.address}:8443`, remoteStreamName: 'demo', localStreamName: 'untrusted' });
    expect(res.status).toBe(200);
    const record = async () => ((await (await post('/rest-api/pull/find_all', {})).json()) as { localStreamName: string; status: string; attempts: number; lastError: string | null }[])
      .find((p) => p.localStreamName === 'untrusted');
    await expect.poll(async () => (await record())?.attempts ?? 0, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const r = await record();
    expect(r?.status).not.toBe('PLAYING');
    expect(r?.lastError).toMatch(/certificate/i);
    expect((await post('/rest-api/pull/terminate', { localStreamName: 'untrusted' })).status).toBe(200);
  });

  it('wss: the WCS API and HTTPS on 8443 with a configured certificate', async () => {
    const ca = readFileSync(tls.cert);
    const client = await RawWcsClient.open(`wss://${ns.address}:8443`, true, { ca });
    client.send('availableStream', { mediaSessionId: 'x', name: 'demo' });
    expect((await client.waitFor((r) => r.message === 'availableStream')).data[0]).toMatchObject({ id: 'x', status: 'true' });
    client.close();
    const res = await fetch(`https://${ns.address}:8443/health`, { dispatcher: new Agent({ connect: { ca } }) } as RequestInit);
    expect(res.status).toBe(200);
  });

  it("WCS's REST ports: the same REST on 8081 (HTTP) and 8444 (HTTPS), guarded alike; no Websocket there", async () => {
    const ca = readFileSync(tls.cert);
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const [url, init] of [[`http://${ns.address}:8081`, {}], [`https://${ns.address}:8444`, { dispatcher: new Agent({ connect: { ca } }) }]] as const) {
      expect((await fetch(`${url}/rest-api/stream/find_all`, init as RequestInit)).status, url).toBe(401);
      const find = await fetch(`${url}/rest-api/pull/find_all`, { ...init, headers: auth } as RequestInit);
      expect([200, 404], url).toContain(find.status);
      expect(find.headers.get('content-type')).toMatch(/json/);
    }
    await expect(RawWcsClient.open(`ws://${ns.address}:8081`)).rejects.toThrow();
  });
});
