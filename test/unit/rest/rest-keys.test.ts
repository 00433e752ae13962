/**
 * The relay's REST keys through its real HTTP app (buildApp over a fake relay): who may call which route, by Bearer or
 * Basic, with the scopes of relay/rest/rest-keys.ts; the legacy SIPHON_REST_TOKEN; a bad key set refused at start.
 */
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../../relay/rest/app.ts';
import { ROUTE_SCOPES } from '../../../relay/rest/rest-keys.ts';
import { loadConfig } from '../../../relay/config.ts';
import { hashRestKey } from '../../../contract/rest-keys.ts';
import { fakeRelay } from '../fakes/fake-relay-view.ts';

const entry = async (scopes: string[], ...keys: string[]) => ({ scopes, hashes: await Promise.all(keys.map(hashRestKey)) });
const KEYS = JSON.stringify({
  edge: await entry(['pull', 'terminate', 'stat', 'metrics'], 'edge-old', 'edge-new'),
  console: await entry(['stat'], 'console-key'),
  rec: await entry(['record', 'access'], 'rec-key'),
});

function relayWith(config: { restKeys?: string; restToken?: string }) {
  const fake = fakeRelay(config);
  fake.state.pulls.length = 0;
  const app = buildApp(fake.relay);
  const call = (method: string, path: string, authorization?: string, body?: unknown) => app.request(path, {
    method, headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { ...fake, call };
}
const basic = (name: string, key: string) => `Basic ${btoa(`${name}:${key}`)}`;

describe('relay REST keys', () => {
  it('a key calls the routes its scopes cover, as Bearer or Basic; past the guard the route answers as usual', async () => {
    const { call } = relayWith({ restKeys: KEYS });
    const find = await call('POST', '/rest-api/stream/find_all', 'Bearer console-key');
    expect(find.status).toBe(404);
    expect(await find.json()).toEqual({ error: 'not_found', message: 'no streams' });
    expect((await call('POST', '/rest-api/stream/find_all', basic('console', 'console-key'))).status).toBe(404);
    expect((await call('GET', '/?action=stat&format=json', basic('console', 'console-key'))).status).toBe(200);
    expect((await call('GET', '/metrics', 'Bearer edge-new')).status).toBe(200);
    expect((await call('POST', '/rest-api/pull/terminate', 'Bearer edge-new', { localStreamName: 'x' })).status).toBe(404);
    expect((await call('POST', '/rest-api/pull/pull', 'Bearer edge-new', {})).status).toBe(400);
    // The scope passes; the route then refuses the empty body.
    expect((await call('POST', '/rest-api/access/revoke', 'Bearer rec-key', {})).status).toBe(400);
  });

  it('a valid key without the route\'s scope is 403 naming the key and the scope, never the key itself', async () => {
    const { call } = relayWith({ restKeys: KEYS });
    for (const [method, path, key, name, scope] of [
      ['POST', '/rest-api/pull/pull', 'Bearer console-key', 'console', 'pull'],
      ['POST', '/rest-api/stream/terminate', 'Bearer console-key', 'console', 'terminate'],
      ['GET', '/metrics', basic('console', 'console-key'), 'console', 'metrics'],
      ['POST', '/rest-api/stream/startRecording', 'Bearer edge-old', 'edge', 'record'],
      ['POST', '/rest-api/push/startup', 'Bearer edge-old', 'edge', 'push'],
      ['POST', '/rest-api/access/revoke', 'Bearer edge-old', 'edge', 'access'],
      ['GET', '/?action=stat', 'Bearer rec-key', 'rec', 'stat'],
    ] as const) {
      const res = await call(method, path, key, method === 'GET' ? undefined : {});
      expect(res.status, path).toBe(403);
      expect(await res.json()).toEqual({ error: 'forbidden', message: `key "${name}" lacks the "${scope}" scope` });
    }
  });

  it('no key, a wrong one, or a key under another name is 401 with a challenge for Bearer and Basic', async () => {
    const { call } = relayWith({ restKeys: KEYS });
    for (const authorization of [undefined, 'Bearer nope', 'console-key', basic('edge', 'console-key'), basic('console', 'nope')]) {
      for (const [method, path] of [['POST', '/rest-api/stream/find_all'], ['GET', '/metrics'], ['GET', '/?action=stat']] as const) {
        const res = await call(method, path, authorization);
        expect(res.status, `${path} ${authorization}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer, Basic realm="siphon"');
        expect(await res.json()).toMatchObject({ error: 'unauthorized', message: expect.stringContaining('missing or wrong API key') });
      }
    }
  });

  it('rotation: both hashes of a name are accepted; the set without the old hash refuses the old key', async () => {
    expect((await relayWith({ restKeys: KEYS }).call('GET', '/metrics', 'Bearer edge-old')).status).toBe(200);
    const rotated = relayWith({ restKeys: JSON.stringify({ edge: await entry(['metrics'], 'edge-new') }) });
    expect((await rotated.call('GET', '/metrics', 'Bearer edge-old')).status).toBe(401);
    expect((await rotated.call('GET', '/metrics', 'Bearer edge-new')).status).toBe(200);
  });

  it('the legacy SIPHON_REST_TOKEN still opens every route, beside named keys or alone', async () => {
    for (const config of [{ restToken: 'let-me-in' }, { restToken: 'let-me-in', restKeys: KEYS }]) {
      const { call } = relayWith(config);
      expect((await call('GET', '/metrics', 'Bearer let-me-in')).status).toBe(200);
      expect((await call('POST', '/rest-api/stream/startRecording', 'Bearer let-me-in', {})).status).toBe(400);
      expect((await call('GET', '/metrics', 'Bearer let-me-out')).status).toBe(401);
    }
  });

  it('with no key configured the relay is open, as for local use; public routes stay public with keys', async () => {
    expect((await relayWith({}).call('GET', '/metrics')).status).toBe(200);
    expect((await relayWith({}).call('POST', '/rest-api/stream/find_all')).status).toBe(404);
    const { call } = relayWith({ restKeys: KEYS });
    expect((await call('GET', '/health')).status).toBe(200);
    expect((await call('GET', '/api/streams')).status).toBe(200);
  });

  it('logs which key terminated a stream (its name only)', async () => {
    const { call, state, lines } = relayWith({ restKeys: KEYS });
    state.sessions.push({ id: 'ms-1', name: 'cam', role: 'player', isEnded: false, status: 'PLAYING', info: '', startedAt: 0 });
    expect((await call('POST', '/rest-api/stream/terminate', basic('edge', 'edge-new'), { name: 'cam' })).status).toBe(200);
    expect(lines).toContainEqual({ event: 'rest.stream_terminated', fields: { mediaSessionIds: ['ms-1'], filter: 'name', key: 'edge' } });
    expect(JSON.stringify(lines)).not.toContain('edge-new');
  });

  it('every /rest-api route the relay serves has its scope in the one table', () => {
    const { relay } = relayWith({ restKeys: KEYS });
    const routes = buildApp(relay).routes.filter((r) => r.method !== 'ALL' && r.path.startsWith('/rest-api/')).map((r) => r.path);
    const covered = (path: string) => Object.keys(ROUTE_SCOPES).some((route) => route === path
      || (route.endsWith('/*') && path.startsWith(route.slice(0, -1))));
    expect(routes).toContain('/rest-api/pull/pull');
    expect([...new Set(routes)].filter((path) => !covered(path))).toEqual([]);
  });

  it('a bad key set stops the relay at start with a ConfigError saying what is wrong', async () => {
    const hash = await hashRestKey('k');
    for (const [keys, message] of [
      ['{nope', /SIPHON_REST_KEYS: not valid JSON/],
      [JSON.stringify({ a: { scopes: ['fly'], hashes: [hash] } }), /SIPHON_REST_KEYS: key "a" scopes\.0/],
      [JSON.stringify({ a: { scopes: ['pull'], hashes: [hash, hash, hash] } }), /SIPHON_REST_KEYS: key "a" hashes: at most two/],
      [JSON.stringify({ a: { scopes: ['pull'], hashes: ['sha256:abc'] } }), /SIPHON_REST_KEYS: key "a" hashes\.0: a hash is/],
    ] as const) {
      expect(() => loadConfig({ SIPHON_REST_KEYS: keys }), keys).toThrow(message);
      try { loadConfig({ SIPHON_REST_KEYS: keys }); } catch (err) { expect((err as Error).name).toBe('ConfigError'); }
    }
    expect(loadConfig({ SIPHON_REST_KEYS: KEYS }).restKeys).toBe(KEYS);
  });
});
