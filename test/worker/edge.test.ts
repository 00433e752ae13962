/** The edge inside workerd (vitest pool): real KV, real Durable Object, relays faked at the fetch boundary. */
import { describe, expect, it } from 'vitest';
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import worker from '../../worker/src/index.ts';
import { rendezvous } from '../../worker/src/relays.ts';
import { SWAGGER_UI_FILES } from '../../worker/src/docs.ts';
import { call, claims, envWith, nothingLeftFor, placed, pull, relay } from './edge-harness.ts';

describe('POST /rest-api/pull/pull', () => {
  it.each([
    ['not JSON', '{"uri":'],
    ['an array', '[]'],
    ['no uri', { remoteStreamName: 's', localStreamName: 'v1' }],
    ['a number for a name', { uri: 'ws://a:1', remoteStreamName: 's', localStreamName: 5 }],
    ['an empty name', { uri: 'ws://a:1', remoteStreamName: '', localStreamName: 'v2' }],
    ['a blank name', { uri: 'ws://a:1', remoteStreamName: 's', localStreamName: '  ' }],
    ['a name over 256 characters', { uri: 'ws://a:1', remoteStreamName: 's', localStreamName: 'x'.repeat(257) }],
    ['a control character', { uri: 'ws://a:1', remoteStreamName: 's\n', localStreamName: 'v3' }],
    ['an ftp uri', { uri: 'ftp://a:1', remoteStreamName: 's', localStreamName: 'v4' }],
    ['a WCS uri without remoteStreamName', { uri: 'ws://a:1', remoteStreamName: '', localStreamName: 'v7' }],
    ['a uri that is no URL', { uri: 'somewhere', remoteStreamName: 's', localStreamName: 'v5' }],
    ['a body over 64 KiB', { uri: 'ws://a:1', remoteStreamName: 's', localStreamName: 'v6', pad: 'x'.repeat(70_000) }],
  ])('%s → 400 with a JSON error, nothing stored', async (_what, body) => {
    const e = envWith(['ok']);
    const res = await call(e, 'POST', '/rest-api/pull/pull', body);
    expect(res.status).toBe(400);
    const json = await res.json() as { error: string; message: string };
    expect(json.error).toBe('bad_request');
    expect(json.message).not.toBe('');
    expect(await claims(e).list()).toEqual([]);
  });

  it('a body without a JSON content type (curl -d) is read as JSON all the same', async () => {
    const e = envWith(['ok']);
    const send = (body: string) => worker.fetch(new Request('http://edge/rest-api/pull/pull', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } }), e, createExecutionContext());
    expect((await send('{"uri":"ws://a:1"}')).status).toBe(400);
    expect((await send('{"uri":"ws://a:1","remoteStreamName":"s","localStreamName":"form"}')).status).toBe(200);
  });

  it('a WHEP endpoint as the uri, with no remoteStreamName: passed through to the relay as it is', async () => {
    const e = envWith(['ok']);
    const res = await call(e, 'POST', '/rest-api/pull/pull', { uri: 'https://whep.example/whep/cam', localStreamName: 'from-whep' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ uri: 'https://whep.example/whep/cam', remoteStreamName: '', localStreamName: 'from-whep' });
    expect(await (await fetch('http://ok.relay/__calls')).json()).toContain('from-whep');
  });

  it('20 concurrent POSTs of one name: exactly one 200 and nineteen 409', async () => {
    const e = envWith(['ok']);
    const codes = await Promise.all(Array.from({ length: 20 }, () => pull(e, 'race').then((r) => r.status)));
    expect(codes.filter((c) => c === 200)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(19);
    expect(await claims(e).get('race')).toMatchObject({ localStreamName: 'race', replicas: 1, placements: [{ relay: 'ok', epoch: 1 }] });
  });

  it('the relay answers 409 → 409 naming the relay; claim released, no record', async () => {
    const e = envWith(['conflict']);
    const res = await pull(e, 'taken-on-relay');
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: 'conflict', message: expect.stringContaining('relay conflict') });
    await nothingLeftFor(e, 'taken-on-relay');
  });

  it('the relay answers 500 → 502 naming the relay; nothing left', async () => {
    const e = envWith(['broken']);
    const res = await pull(e, 'relay-500');
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: 'relay_error', message: expect.stringContaining('relay broken answered 500') });
    await nothingLeftFor(e, 'relay-500');
  });

  it('the relay starts the pull but answers a record the edge cannot read → 502, and the edge stops it there', async () => {
    const e = envWith(['garbled']);
    const res = await pull(e, 'garbled-1');
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: 'relay_error', message: expect.stringContaining('relay garbled answered a pull with a body') });
    await nothingLeftFor(e, 'garbled-1');
    expect(await (await fetch('http://garbled.relay/__calls')).json()).toEqual([]); // terminated on the relay
  });

  it('the relay cannot be reached → 503 naming the relay; nothing left, and the name can be used again', async () => {
    const e = envWith(['flaky']);
    const res = await pull(e, 'unreachable');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: 'relay_unreachable', message: expect.stringContaining('relay flaky (http://flaky.relay) is unreachable') });
    await nothingLeftFor(e, 'unreachable');
    expect((await pull(envWith(['ok']), 'unreachable')).status).toBe(200);
  });

  it('no healthy relay → 503; placement skips relays that fail health', async () => {
    const res = await pull(envWith(['down', 'sick']), 'nowhere');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: 'unavailable', message: 'no healthy relay among down, sick' });
    await nothingLeftFor(envWith([]), 'nowhere');
    const placed = await pull(envWith(['down', 'sick', 'ok']), 'somewhere');
    expect(placed.status).toBe(200);
    expect(await placed.json()).toMatchObject({ relay: 'ok' });
  });

  it('with API_TOKEN set: missing or wrong token → 401, the right one passes', async () => {
    const e = envWith(['ok'], { API_TOKEN: 'let-me-in' });
    expect((await pull(e, 'auth-1')).status).toBe(401);
    const wrong = await call(e, 'POST', '/rest-api/pull/pull', { uri: 'ws://a:1', remoteStreamName: 's', localStreamName: 'auth-1' }, { authorization: 'Bearer let-me-out' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'unauthorized', message: expect.stringContaining('missing or wrong API key') });
    expect((await call(e, 'GET', '/rest-api/pull/find_all', undefined, { authorization: 'let-me-in' })).status).toBe(401);
    const right = await call(e, 'POST', '/rest-api/pull/pull', { uri: 'ws://a:1', remoteStreamName: 's', localStreamName: 'auth-1' }, { authorization: 'Bearer let-me-in' });
    expect(right.status).toBe(200);
    await nothingLeftFor(e, 'auth-never');
  });

  it('a deployed edge (no LOCAL_DEV) without API_KEYS or API_TOKEN refuses every call with 503 saying how to set one, and makes nothing', async () => {
    const e = envWith(['ok'], { LOCAL_DEV: undefined });
    for (const res of [await pull(e, 'open-1'), await call(e, 'GET', '/rest-api/pull/find_all'), await call(e, 'POST', '/rest-api/pull/terminate', { localStreamName: 'x' })]) {
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: 'no_api_token', message: expect.stringContaining('wrangler secret put API_KEYS') });
    }
    await nothingLeftFor(e, 'open-1');
    const e2 = envWith(['ok'], { LOCAL_DEV: undefined, API_TOKEN: 'set' });
    expect((await call(e2, 'POST', '/rest-api/pull/pull', { uri: 'ws://a:1', remoteStreamName: 's', localStreamName: 'open-2' }, { authorization: 'Bearer set' })).status).toBe(200);
  });
});

describe('find_all, terminate and reconciliation', () => {
  it('find_all merges live status; terminate removes record and claim; then 404s', async () => {
    const e = envWith(['other']);
    expect((await pull(e, 'listed')).status).toBe(200);
    const all = await (await call(e, 'GET', '/rest-api/pull/find_all')).json() as Record<string, unknown>[];
    expect(all.find((r) => r.localStreamName === 'listed')).toMatchObject({ status: 'PLAYING', relay: 'other', uri: 'ws://wcs.example:8080', remoteStreamName: 's', localMediaSessionId: 'l-listed' });

    await fetch('http://other.relay/__forget', { method: 'POST' });
    const lost = await (await call(e, 'POST', '/rest-api/pull/find_all')).json() as Record<string, unknown>[];
    expect(lost.find((r) => r.localStreamName === 'listed')).toMatchObject({ status: 'LOST', info: expect.stringContaining('relay other does not have this pull') });

    const ended = await call(e, 'POST', '/rest-api/pull/terminate', { localStreamName: 'listed' });
    expect(ended.status).toBe(200);
    await nothingLeftFor(e, 'listed');
    expect((await call(e, 'POST', '/rest-api/pull/terminate', { localStreamName: 'listed' })).status).toBe(404);
    expect((await call(e, 'POST', '/rest-api/pull/terminate', {})).status).toBe(400);
  });

  it('find_all with no pulls → 404 JSON; an unreachable relay shows UNKNOWN, not a fake status', async () => {
    const fresh = envWith(['ok']);
    for (const r of await claims(fresh).list()) await claims(fresh).release(r.localStreamName, r.claim);
    const none = await call(fresh, 'GET', '/rest-api/pull/find_all');
    expect(none.status).toBe(404);
    expect(await none.json()).toMatchObject({ error: 'not_found' });
    await placed(fresh, 'orphan', 'down');
    const shown = await (await call(envWith(['ok', 'down']), 'GET', '/rest-api/pull/find_all')).json() as Record<string, unknown>[];
    expect(shown.find((r) => r.localStreamName === 'orphan')).toMatchObject({ status: 'UNKNOWN', info: expect.stringContaining('unreachable') });
    await claims(fresh).release('orphan', 'c-orphan');
  });

  it('the scheduled handler re-creates a pull its relay lost', async () => {
    const e = envWith(['ok']);
    expect((await pull(e, 'comeback')).status).toBe(200);
    await fetch('http://ok.relay/__forget', { method: 'POST' });
    expect(await (await fetch('http://ok.relay/__calls')).json()).not.toContain('comeback');
    const ctx = createExecutionContext();
    await worker.scheduled!({ cron: '* * * * *', scheduledTime: Date.now(), noRetry() {} } as ScheduledController, e, ctx);
    await waitOnExecutionContext(ctx);
    expect(await (await fetch('http://ok.relay/__calls')).json()).toContain('comeback');
  });
});

describe('placement and API docs', () => {
  it('rendezvous placement is deterministic per name and spreads names over relays', () => {
    const relays = ['a', 'b', 'c'].map(relay);
    expect(rendezvous(relays, 'cam-1')[0]).toEqual(rendezvous([...relays].reverse(), 'cam-1')[0]);
    const homes = new Set(Array.from({ length: 60 }, (_, i) => rendezvous(relays, `cam-${i}`)[0]!.id));
    expect(homes.size).toBe(3);
  });

  it('the OpenAPI document lists the routes with their bodies and codes', async () => {
    const doc = await (await call(envWith([]), 'GET', '/rest-api/openapi.json')).json() as {
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(doc.paths).sort()).toEqual(['/rest-api/access/revoke', '/rest-api/pull/find_all', '/rest-api/pull/pull', '/rest-api/pull/terminate',
      '/rest-api/relay/demand', '/rest-api/relay/drain', '/rest-api/relay/find_all', '/rest-api/relay/heartbeat', '/rest-api/relay/join', '/rest-api/relay/leave', '/rest-api/relay/rotate']);
    expect(doc.paths['/rest-api/relay/join']!.post!.requestBody).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/JoinRequest' } } } });
    expect(doc.paths['/rest-api/access/revoke']!.post!.requestBody).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/RevokeRequest' } } } });
    expect(Object.keys(doc.paths['/rest-api/pull/pull']!.post!.responses).sort()).toEqual(['200', '400', '401', '403', '409', '502', '503']);
    expect(doc.paths['/rest-api/pull/pull']!.post!.requestBody).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/PullRequest' } } } });
    expect(Object.keys(doc.paths['/rest-api/pull/find_all']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/rest-api/pull/terminate']!.post!.responses)).toContain('404');
  });

  it('the docs page is Swagger UI over the document, its files served by the edge itself (no CDN)', async () => {
    const res = await call(envWith([]), 'GET', '/rest-api/docs');
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page).toContain("url: '/rest-api/openapi.json'");
    expect(page).toContain("docExpansion: 'full'");
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const file of SWAGGER_UI_FILES) {
      expect(page).toContain(`"${file}"`);
      const asset = await env.ASSETS.fetch(`http://edge${file}`);
      expect(asset.status, file).toBe(200);
      expect(asset.headers.get('content-type'), file).toMatch(file.endsWith('.js') ? /javascript/ : /text\/css/);
      expect((await asset.text()).length, file).toBeGreaterThan(100_000);
    }
    const home = await call(envWith([]), 'GET', '/');
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toBe('/rest-api/docs');
  });
});
