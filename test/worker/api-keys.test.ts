/** The edge's API keys (API_KEYS, the legacy API_TOKEN) on its guarded routes, with the scopes of worker/src/auth.ts. */
import { describe, expect, it, vi } from 'vitest';
import { hashRestKey } from '../../contract/rest-keys.ts';
import { buildApp } from '../../worker/src/app.ts';
import { ROUTE_SCOPES } from '../../worker/src/auth.ts';
import { call, envWith, nothingLeftFor, placed } from './edge-harness.ts';

const entry = async (scopes: string[], ...keys: string[]) => ({ scopes, hashes: await Promise.all(keys.map(hashRestKey)) });
const keysEnv = async (extra: Partial<Env> = {}) => envWith(['ok'], {
  LOCAL_DEV: undefined,
  API_KEYS: JSON.stringify({ ops: await entry(['pull', 'terminate', 'stat'], 'ops-old', 'ops-new'), monitor: await entry(['stat'], 'monitor-key') }),
  ...extra,
});
const basic = (name: string, key: string) => `Basic ${btoa(`${name}:${key}`)}`;
const pullBody = (localStreamName: string) => ({ uri: 'ws://wcs.example:8080', remoteStreamName: 's', localStreamName });

describe('edge API keys', () => {
  it('a key with the scope pulls, lists and terminates, as Bearer or as Basic <name>:<key>', async () => {
    const e = await keysEnv();
    const logged = vi.spyOn(console, 'log');
    expect((await call(e, 'POST', '/rest-api/pull/pull', pullBody('keyed-1'), { authorization: 'Bearer ops-new' })).status).toBe(200);
    const lines = logged.mock.calls.map(([line]) => String(line));
    logged.mockRestore();
    // Who did it is in the log by the key's name; the key itself never is.
    expect(lines.map((l) => JSON.parse(l))).toContainEqual(expect.objectContaining({ event: 'edge.pull_created', localStreamName: 'keyed-1', key: 'ops' }));
    expect(lines.join('\n')).not.toContain('ops-new');
    const all = await call(e, 'GET', '/rest-api/pull/find_all', undefined, { authorization: basic('monitor', 'monitor-key') });
    expect(all.status).toBe(200);
    expect(await all.json()).toContainEqual(expect.objectContaining({ localStreamName: 'keyed-1' }));
    expect((await call(e, 'GET', '/?action=stat&format=json', undefined, { authorization: 'Bearer monitor-key' })).status).toBe(200);
    expect((await call(e, 'POST', '/rest-api/pull/terminate', { localStreamName: 'keyed-1' }, { authorization: basic('ops', 'ops-old') })).status).toBe(200);
    await nothingLeftFor(e, 'keyed-1');
  });

  it('a valid key without the route\'s scope is 403 naming key and scope, and nothing is made', async () => {
    const e = await keysEnv();
    const res = await call(e, 'POST', '/rest-api/pull/pull', pullBody('keyed-2'), { authorization: 'Bearer monitor-key' });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'forbidden', message: 'key "monitor" lacks the "pull" scope' });
    await nothingLeftFor(e, 'keyed-2');
    const terminate = await call(e, 'POST', '/rest-api/pull/terminate', { localStreamName: 'x' }, { authorization: basic('monitor', 'monitor-key') });
    expect(await terminate.json()).toEqual({ error: 'forbidden', message: 'key "monitor" lacks the "terminate" scope' });
    const access = await call(e, 'POST', '/rest-api/access/revoke', {}, { authorization: 'Bearer ops-new' });
    expect(await access.json()).toEqual({ error: 'forbidden', message: 'key "ops" lacks the "access" scope' });
  });

  it('no key, a wrong key or a key under another name is 401 with the Bearer and Basic challenge', async () => {
    const e = await keysEnv();
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 'ops-new' }, { authorization: basic('monitor', 'ops-new') }] as Record<string, string>[]) {
      for (const res of [await call(e, 'POST', '/rest-api/pull/pull', pullBody('keyed-3'), headers), await call(e, 'GET', '/?action=stat', undefined, headers)]) {
        expect(res.status, JSON.stringify(headers)).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer, Basic realm="siphon"');
        expect(await res.json()).toMatchObject({ error: 'unauthorized' });
      }
    }
    await nothingLeftFor(e, 'keyed-3');
  });

  it('rotation: both hashes of a name work; once the old hash is removed, the old key is refused', async () => {
    const before = await keysEnv();
    expect((await call(before, 'GET', '/rest-api/pull/find_all', undefined, { authorization: 'Bearer ops-old' })).status).not.toBe(401);
    const after = await keysEnv({ API_KEYS: JSON.stringify({ ops: await entry(['stat'], 'ops-new') }) });
    expect((await call(after, 'GET', '/rest-api/pull/find_all', undefined, { authorization: 'Bearer ops-old' })).status).toBe(401);
    expect((await call(after, 'GET', '/rest-api/pull/find_all', undefined, { authorization: 'Bearer ops-new' })).status).not.toBe(401);
  });

  it('the legacy API_TOKEN keeps every scope beside the named keys', async () => {
    const e = await keysEnv({ API_TOKEN: 'let-me-in' });
    await placed(e, 'legacy-1', 'ok');
    expect((await call(e, 'POST', '/rest-api/pull/terminate', { localStreamName: 'legacy-1' }, { authorization: 'Bearer let-me-in' })).status).toBe(200);
    expect((await call(e, 'POST', '/rest-api/access/revoke', {}, { authorization: basic('legacy', 'let-me-in') })).status).toBe(400);
  });

  it('a bad API_KEYS is a 500 misconfigured saying what is wrong, never echoing a hash', async () => {
    const hash = await hashRestKey('k');
    for (const [keys, message] of [
      ['{nope', 'API_KEYS: not valid JSON'],
      [JSON.stringify({ a: { scopes: ['fly'], hashes: [hash] } }), 'API_KEYS: key "a" scopes.0'],
      [JSON.stringify({ a: { scopes: ['pull'], hashes: [hash, hash, hash] } }), 'API_KEYS: key "a" hashes: at most two'],
      [JSON.stringify({ a: { scopes: ['pull'], hashes: ['sha256:XYZ'] } }), 'API_KEYS: key "a" hashes.0: a hash is'],
    ] as const) {
      const res = await call(await keysEnv({ API_KEYS: keys }), 'GET', '/rest-api/pull/find_all', undefined, { authorization: 'Bearer k' });
      expect(res.status, keys).toBe(500);
      const body = await res.json() as { error: string; message: string };
      expect(body).toMatchObject({ error: 'misconfigured', message: expect.stringContaining(message) });
      expect(body.message).not.toContain(hash.slice(7));
    }
  });

  it('every route under the guarded paths has its scope in the one table', () => {
    const guarded = buildApp().routes.filter((r) => r.method !== 'ALL' && /^\/rest-api\/(pull|access)\//.test(r.path)).map((r) => r.path);
    expect(guarded).toContain('/rest-api/pull/terminate');
    expect(guarded.filter((path) => !Object.keys(ROUTE_SCOPES).some((route) => route === path
      || (route.endsWith('/*') && path.startsWith(route.slice(0, -1)))))).toEqual([]);
  });
});
