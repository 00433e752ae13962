/** Relays that join by themselves: join, heartbeats, expiry and fencing on return, credentials and their rotation, drain. */
import { describe, expect, it } from 'vitest';
import { heartbeat, join } from '../../worker/src/members.ts';
import { fenceRelay, reconcile } from '../../worker/src/reconcile.ts';
import { call, claims, envWith, joinAs, JOIN_TOKEN, onRelay, placed, pull, realFetch, runsOn } from './edge-harness.ts';

const JOIN = JOIN_TOKEN;
const load = { viewers: 3, pulls: 1, cpu: 12.5, egressBps: 250_000 };

/** Joins `id` and checks the answer's timings. */
async function joined(e: Env, id: string, extra: Record<string, unknown> = {}): Promise<string> {
  const credential = await joinAs(e, id, extra);
  expect(credential).toMatch(/^[\w-]{43}$/);
  return credential;
}

const beat = (e: Env, id: string, credential: string) =>
  call(e, 'POST', '/rest-api/relay/heartbeat', { id, load }, { authorization: `Bearer ${credential}` });
const members = async (e: Env) => await (await call(e, 'GET', '/rest-api/relay/find_all')).json() as Record<string, unknown>[];

describe('membership', () => {
  it('a relay that joins takes pulls without the worker being configured again, and is listed without its credential', async () => {
    const e = envWith([], { RELAY_JOIN_TOKEN: JOIN });
    const credential = await joined(e, 'join-m', { hls: 'http://join-m.relay:8082', capacity: 300 });
    const res = await pull(e, 'on-member');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ relay: 'join-m', status: 'PLAYING' });
    expect(await runsOn('join-m')).toContain('on-member');
    const listing = await call(e, 'GET', '/rest-api/relay/find_all');
    const text = await listing.text();
    expect(text).not.toContain(credential);
    expect(JSON.parse(text)).toContainEqual(expect.objectContaining({ id: 'join-m', state: 'active', region: 'eu', capacity: 300, hls: 'http://join-m.relay:8082', load: null }));
  });

  it('refuses a join without the edge\'s token, with a wrong one, for an id in RELAYS, or with a bad body, and keeps nothing of it', async () => {
    const body = { id: 'refuse-m', url: 'http://refuse-m.relay' };
    const off = await call(envWith([]), 'POST', '/rest-api/relay/join', body, { authorization: `Bearer ${JOIN}` });
    expect(off.status).toBe(503);
    expect(await off.json()).toMatchObject({ error: 'membership_off', message: expect.stringContaining('RELAY_JOIN_TOKEN') });
    const e = envWith(['fixed-m'], { RELAY_JOIN_TOKEN: JOIN });
    const wrong = await call(e, 'POST', '/rest-api/relay/join', body, { authorization: 'Bearer not-it' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'unauthorized' });
    expect((await call(e, 'POST', '/rest-api/relay/join', body)).status).toBe(401);
    const clash = await call(e, 'POST', '/rest-api/relay/join', { id: 'fixed-m', url: 'http://x.relay' }, { authorization: `Bearer ${JOIN}` });
    expect(clash.status).toBe(409);
    const bad = await call(e, 'POST', '/rest-api/relay/join', { id: 'a b', url: 'ftp://x' }, { authorization: `Bearer ${JOIN}` });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'bad_request', message: expect.stringMatching(/^id: /) });
    expect((await members(e)).map((m) => m.id)).not.toContain('refuse-m');
  });

  it('heartbeats carry the load; a wrong or missing credential is refused and a stranger is told to join', async () => {
    const e = envWith([], { RELAY_JOIN_TOKEN: JOIN });
    const credential = await joined(e, 'hb-m');
    const res = await beat(e, 'hb-m', credential);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ state: 'active' });
    expect((await members(e)).find((m) => m.id === 'hb-m')).toMatchObject({ state: 'active', load });
    expect((await beat(e, 'hb-m', 'forged')).status).toBe(404);
    expect((await call(e, 'POST', '/rest-api/relay/heartbeat', { id: 'hb-m', load })).status).toBe(401);
    const stranger = await beat(e, 'never-joined', credential);
    expect(stranger.status).toBe(404);
    expect(await stranger.json()).toMatchObject({ error: 'not_a_member', message: expect.stringContaining('join again') });
  });

  it('a member without heartbeats is gone after MEMBER_EXPIRE_SECONDS: its pull moves; when it comes back it is fenced', async () => {
    const e = envWith(['fixed-m'], { RELAY_JOIN_TOKEN: JOIN });
    const credential = await joined(e, 'exp-m');
    const t0 = Date.now();
    await placed(e, 'expiring', 'exp-m');
    expect((await onRelay('exp-m', 'expiring', 1)).status).toBe(200);
    expect((await reconcile(e, t0 + 5_000)).moved).toEqual([]);
    const later = await reconcile(e, t0 + 16_000); // gone: not a relay the edge works with, so nothing to wait for
    expect(later.moved).toContain('expiring: exp-m → fixed-m');
    expect(await claims(e).members(t0 + 16_000, 15_000)).toContainEqual(expect.objectContaining({ id: 'exp-m', state: 'gone' }));
    expect(await heartbeat(e, `Bearer ${credential}`, { id: 'exp-m', load }, t0 + 20_000)).toEqual({ state: 'active', returned: true });
    expect(await fenceRelay(e, 'exp-m')).toEqual(['exp-m/expiring']);
    expect(await runsOn('exp-m')).not.toContain('expiring');
    expect(await runsOn('fixed-m')).toContain('expiring');
  });

  it('a rotated credential reaches the relay with its next heartbeat; the old one works until the relay uses the new', async () => {
    const e = envWith([], { RELAY_JOIN_TOKEN: JOIN });
    const old = await joined(e, 'rot-m');
    expect(await (await call(e, 'POST', '/rest-api/relay/rotate', { relay: 'rot-m' })).json()).toEqual({ relay: 'rot-m', rotating: true });
    const handed = await (await beat(e, 'rot-m', old)).json() as { credential: string };
    expect(handed.credential).toMatch(/^[\w-]{43}$/);
    expect(handed.credential).not.toBe(old);
    expect((await pull(e, 'before-switch')).status).toBe(200); // the edge still calls with the old one
    expect(await (await beat(e, 'rot-m', handed.credential)).json()).toEqual({ state: 'active' });
    expect((await beat(e, 'rot-m', old)).status).toBe(404);
    await realFetch('http://rot-m.relay/__credential', { method: 'POST', body: handed.credential });
    expect((await pull(e, 'after-switch')).status).toBe(200); // and now with the new one only
    expect((await call(e, 'POST', '/rest-api/relay/rotate', { relay: 'nobody' })).status).toBe(404);
  });

  it('drain moves a member\'s pulls to a relay that then plays them, sends new pulls and viewers elsewhere, and leave ends membership', async () => {
    const e = envWith(['fixed-m'], { RELAY_JOIN_TOKEN: JOIN });
    const credential = await joined(e, 'drain-m');
    await placed(e, 'draining', 'drain-m');
    expect((await onRelay('drain-m', 'draining', 1)).status).toBe(200);
    const res = await call(e, 'POST', '/rest-api/relay/drain', JSON.stringify({ relay: 'drain-m' }), { 'content-type': 'application/x-www-form-urlencoded' }); // as curl -d sends it
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ relay: 'drain-m', moved: [{ localStreamName: 'draining', to: 'fixed-m' }], failed: [] });
    expect(await runsOn('drain-m')).not.toContain('draining');
    expect(await runsOn('fixed-m')).toContain('draining');
    expect(await claims(e).get('draining')).toMatchObject({ placements: [{ relay: 'fixed-m', epoch: 2 }] });
    expect(await (await beat(e, 'drain-m', credential)).json()).toEqual({ state: 'draining' });
    for (const name of ['n1', 'n2', 'n3', 'n4']) expect(await (await pull(e, name)).json()).not.toMatchObject({ relay: 'drain-m' });
    const viewer = await call(e, 'GET', '/rest-api/play/draining?proto=whep');
    expect(viewer.headers.get('location')).toBe('http://fixed-m.relay/whep/draining');
    const fixed = await call(e, 'POST', '/rest-api/relay/drain', { relay: 'fixed-m' });
    expect(fixed.status).toBe(404);
    expect(await fixed.json()).toMatchObject({ message: expect.stringContaining('RELAYS') });
    expect((await call(e, 'POST', '/rest-api/relay/leave', { id: 'drain-m' }, { authorization: 'Bearer forged' })).status).toBe(401);
    const left = await call(e, 'POST', '/rest-api/relay/leave', { id: 'drain-m' }, { authorization: `Bearer ${credential}` });
    expect(left.status).toBe(200);
    expect((await members(e)).map((m) => m.id)).not.toContain('drain-m');
  });

  it('a live member\'s id is not taken by a relay at another URL; the same relay restarting joins again, still draining if it was', async () => {
    const e = envWith([], { RELAY_JOIN_TOKEN: JOIN });
    await joined(e, 'take-m');
    const other = await call(e, 'POST', '/rest-api/relay/join', { id: 'take-m', url: 'http://impostor.relay' }, { authorization: `Bearer ${JOIN}` });
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ error: 'conflict', message: expect.stringContaining('http://take-m.relay') });
    expect((await call(e, 'POST', '/rest-api/relay/drain', { relay: 'take-m' })).status).toBe(200);
    const again = await joined(e, 'take-m'); // a restart: same URL
    expect(await (await beat(e, 'take-m', again)).json()).toEqual({ state: 'draining' });
    const later = await join(e, `Bearer ${JOIN}`, { id: 'take-m', url: 'http://new-host.relay', region: '' }, Date.now() + 16_000);
    expect(later.id).toBe('take-m'); // once the old one is gone, the id is free
  });
});
