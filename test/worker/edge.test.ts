/** The edge inside workerd (vitest pool): real KV, real Durable Object, relays faked at the fetch boundary. */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import worker from '../../worker/src/index.ts';
import { rendezvous } from '../../worker/src/relays.ts';
import { reconcile } from '../../worker/src/reconcile.ts';
import { pick } from '../../worker/src/play.ts';
import { SWAGGER_UI_FILES } from '../../worker/src/docs.ts';

const realFetch = globalThis.fetch;
/** Relays a test has cut off (as unreachable as down.relay). */
const cut = new Set<string>();
beforeAll(() => {
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const unreachable = url.hostname === 'down.relay' || cut.has(url.hostname) || (url.hostname === 'flaky.relay' && url.pathname !== '/health');
    if (unreachable) throw new Error('Network connection lost.'); // what workerd throws for a refused connection
    return realFetch(input, init);
  });
});

const relay = (id: string) => ({ id, url: `http://${id}.relay` });
const tokens = (...ids: string[]) => JSON.stringify(Object.fromEntries(ids.map((id) => [id, `token-${id}.relay`])));

function envWith(ids: string[], extra: Partial<Env> = {}): Env {
  return { ...env, RELAYS: JSON.stringify(ids.map(relay)), RELAY_TOKENS: tokens(...ids), API_TOKEN: '', LOCAL_DEV: 'true', ...extra };
}

async function call(e: Env, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://edge${path}`, {
    method, headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  }), e, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const pull = (e: Env, localStreamName: string, extra: Record<string, unknown> = {}) =>
  call(e, 'POST', '/rest-api/pull/pull', { uri: 'ws://wcs.example:8080', remoteStreamName: 's', localStreamName, ...extra });

const claims = (e: Env) => e.NAME_CLAIMS.get(e.NAME_CLAIMS.idFromName('global'));
async function nothingLeftFor(e: Env, name: string): Promise<void> {
  expect(await claims(e).get(name)).toBeNull();
  expect(await claims(e).names()).not.toContain(name);
}

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
    expect(await wrong.json()).toEqual({ error: 'unauthorized', message: 'missing or wrong bearer token' });
    expect((await call(e, 'GET', '/rest-api/pull/find_all', undefined, { authorization: 'let-me-in' })).status).toBe(401);
    const right = await call(e, 'POST', '/rest-api/pull/pull', { uri: 'ws://a:1', remoteStreamName: 's', localStreamName: 'auth-1' }, { authorization: 'Bearer let-me-in' });
    expect(right.status).toBe(200);
    await nothingLeftFor(e, 'auth-never');
  });

  it('a deployed edge (no LOCAL_DEV) without API_TOKEN refuses every call with 503 saying how to set one, and makes nothing', async () => {
    const e = envWith(['ok'], { LOCAL_DEV: undefined });
    for (const res of [await pull(e, 'open-1'), await call(e, 'GET', '/rest-api/pull/find_all'), await call(e, 'POST', '/rest-api/pull/terminate', { localStreamName: 'x' })]) {
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: 'no_api_token', message: expect.stringContaining('wrangler secret put API_TOKEN') });
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

/** A record placed on `relay` at `epoch`, as the edge would have made it (its claim is `c-<name>`). */
async function placed(e: Env, name: string, relay: string, epoch = 1): Promise<void> {
  expect(await claims(e).claim(name, `c-${name}`)).toBe(true);
  expect(await claims(e).commit({ uri: 'ws://wcs.example:8080', remoteStreamName: 's', localStreamName: name, claim: `c-${name}`, created: 'x',
    replicas: 1, placements: [{ relay, epoch }] })).toBe(true);
}
/** A pull started on a fake relay directly, not through the edge. */
const onRelay = (id: string, name: string, epoch?: number) => realFetch(`http://${id}.relay/rest-api/pull/pull`, {
  method: 'POST', headers: { authorization: `Bearer token-${id}.relay` }, body: JSON.stringify({ uri: 'ws://wcs.example:8080', remoteStreamName: 's', localStreamName: name, epoch }),
});
const runsOn = async (id: string) => await (await realFetch(`http://${id}.relay/__calls`)).json() as string[];

describe('fenced placement (reconciliation)', () => {
  it('a relay that stays unreachable: its pull waits MOVE_AFTER_SECONDS, then moves to the next healthy relay with epoch 2', async () => {
    const e = envWith(['down', 'ok'], { MOVE_AFTER_SECONDS: '30' });
    await placed(e, 'cut-off', 'down');
    const t0 = Date.now();
    const first = await reconcile(e, t0);
    expect(first.waiting).toEqual([expect.stringMatching(/^cut-off@down: failing for 0 s \(unreachable\)$/)]);
    expect(await runsOn('ok')).not.toContain('cut-off');
    expect((await reconcile(e, t0 + 29_000)).moved).toEqual([]);
    const later = await reconcile(e, t0 + 31_000);
    expect(later.moved).toEqual(['cut-off: down → ok']);
    expect(await claims(e).get('cut-off')).toMatchObject({ placements: [{ relay: 'ok', epoch: 2 }] });
    expect(await runsOn('ok')).toContain('cut-off');
    expect((await reconcile(e, t0 + 32_000)).moved).toEqual([]); // placed now: nothing more to do
  });

  it('a relay back from a partition drops the copy that moved away, a stale epoch and a pull the edge does not know', async () => {
    const e = envWith(['ok', 'other']);
    await placed(e, 'moved-away', 'ok', 2);
    await placed(e, 'stale', 'other', 3);
    for (const [relay, name, epoch] of [['other', 'moved-away', 1], ['ok', 'moved-away', 2], ['other', 'stale', 2], ['other', 'stranger', undefined]] as const) {
      expect((await onRelay(relay, name, epoch)).status).toBe(200);
    }
    const result = await reconcile(e);
    expect(result.fenced.sort()).toEqual(['other/moved-away', 'other/stale', 'other/stranger']);
    expect(result.recreated).toEqual(['stale']); // fenced at epoch 2, started again at the placement's 3
    expect(await runsOn('other')).toEqual(expect.arrayContaining(['stale']));
    expect(await runsOn('other')).not.toContain('moved-away');
    expect(await runsOn('other')).not.toContain('stranger');
    expect(await runsOn('ok')).toContain('moved-away');
    expect((await reconcile(e)).fenced).toEqual([]);
  });

  it('records from before the Durable Object kept them (KV) are imported once, then live there', async () => {
    const e = envWith(['ok']);
    expect(await claims(e).claim('from-kv', 'c-kv')).toBe(true);
    const old = { uri: 'ws://wcs.example:8080', remoteStreamName: 's', localStreamName: 'from-kv', relay: 'ok', claim: 'c-kv', created: 'x' };
    await e.PULLS.put('pull:from-kv', JSON.stringify(old), { metadata: old });
    await reconcile(e);
    const { relay: _, ...rest } = old;
    expect(await claims(e).get('from-kv')).toMatchObject({ ...rest, replicas: 1, placements: [{ relay: 'ok', epoch: 1 }] });
    expect(await e.PULLS.get('pull:from-kv')).toBeNull();
    expect(await runsOn('ok')).toContain('from-kv');
  });
});

describe('replicas and viewer routing', () => {
  it('replicas: 2 runs on two relays; /rest-api/play sends viewers to the one with more headroom, then to the other when it goes; reconcile replaces it', async () => {
    const e = envWith(['ok', 'other', 'third'], { MOVE_AFTER_SECONDS: '0' });
    const name = Array.from({ length: 40 }, (_, i) => `multi-${i}`).find((n) => rendezvous(['ok', 'other', 'third'].map(relay), n).slice(0, 2).map((r) => r.id).sort().join() === 'ok,other')!;
    const res = await pull(e, name, { replicas: 2 });
    expect(res.status).toBe(200);
    expect(await runsOn('ok')).toContain(name);
    expect(await runsOn('other')).toContain(name);
    const listed = (await (await call(e, 'GET', '/rest-api/pull/find_all')).json() as { localStreamName: string; replicas: { relay: string; status: string }[] }[])
      .find((r) => r.localStreamName === name)!;
    expect(listed.replicas.map((r) => [r.relay, r.status]).sort()).toEqual([['ok', 'PLAYING'], ['other', 'PLAYING']]);

    const routed = await call(e, 'GET', `/rest-api/play/${name}?proto=whep`);
    expect(routed.status).toBe(307);
    const body = await routed.json() as { relay: string; location: string; headroom: number };
    expect(routed.headers.get('location')).toBe(body.location);
    expect(body).toEqual(body.relay === 'other' // 1 viewer there, 5 on ok: odds 499 to 495
      ? { relay: 'other', proto: 'whep', location: `http://other.relay/whep/${name}`, wcsUrl: 'ws://other.relay', headroom: 499 }
      : { relay: 'ok', proto: 'whep', location: `http://ok.relay/whep/${name}`, wcsUrl: 'ws://ok.relay', headroom: 495 });
    expect((await call(e, 'GET', `/rest-api/play/${name}?proto=rtsp`)).status).toBe(400);
    expect((await call(e, 'GET', '/rest-api/play/nobody')).status).toBe(404);

    cut.add('other.relay');
    try {
      expect((await call(e, 'GET', `/rest-api/play/${name}`)).headers.get('location')).toBe(`http://ok.relay/viewer.html?stream=${name}`);
      const result = await reconcile(e); // MOVE_AFTER_SECONDS 0: at its first failed check
      expect(result.moved).toEqual([`${name}: other → third`]);
      expect(await runsOn('third')).toContain(name);
      expect((await claims(e).get(name))!.placements.map((p) => p.relay).sort()).toEqual(['ok', 'third']);
    } finally {
      cut.delete('other.relay');
    }
    const r2 = await reconcile(e);
    expect(r2.fenced).toContain(`other/${name}`); // back: its old replica is not placed there any more
    expect((await call(e, 'POST', '/rest-api/pull/terminate', { localStreamName: name })).status).toBe(200);
    expect([await runsOn('ok'), await runsOn('third')].flat()).not.toContain(name);
  });

  it('more replicas than relays → 400; fewer healthy than asked → 503; nothing left either way', async () => {
    const tooMany = await pull(envWith(['ok', 'other']), 'greedy', { replicas: 3 });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({ error: 'bad_request', message: 'replicas: at most 2 (the relays in RELAYS)' });
    const short = await pull(envWith(['ok', 'sick']), 'greedy', { replicas: 2 });
    expect(short.status).toBe(503);
    expect(await runsOn('ok')).not.toContain('greedy');
    await nothingLeftFor(envWith(['ok']), 'greedy');
  });
});

describe('viewer routing odds', () => {
  it('in proportion to headroom; a full or unreadable relay only when nothing has room', () => {
    expect([0, 0.49, 0.5, 0.99].map((r) => pick([100, 100], r))).toEqual([0, 0, 1, 1]);
    expect([0.1, 0.8, 0.95].map((r) => pick([900, 100], r))).toEqual([0, 0, 1]);
    expect(pick([0, 50], 0.01)).toBe(1);
    expect(pick([-Infinity, 10], 0)).toBe(1);
    expect(pick([-5, -2])).toBe(1);
  });
});

describe('placement and API docs', () => {
  it('rendezvous placement is deterministic per name and spreads names over relays', () => {
    const relays = ['a', 'b', 'c'].map(relay);
    expect(rendezvous(relays, 'cam-1')[0]).toEqual(rendezvous([...relays].reverse(), 'cam-1')[0]);
    const homes = new Set(Array.from({ length: 60 }, (_, i) => rendezvous(relays, `cam-${i}`)[0]!.id));
    expect(homes.size).toBe(3);
  });

  it('the OpenAPI document lists the three routes with their bodies and codes', async () => {
    const doc = await (await call(envWith([]), 'GET', '/rest-api/openapi.json')).json() as {
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(doc.paths).sort()).toEqual(['/rest-api/pull/find_all', '/rest-api/pull/pull', '/rest-api/pull/terminate']);
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
