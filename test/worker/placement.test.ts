/** Fenced placement, replicas and viewer routing, in workerd with the relays faked at the fetch boundary. */
import { describe, expect, it } from 'vitest';
import { rendezvous } from '../../worker/src/relays.ts';
import { reconcile } from '../../worker/src/reconcile.ts';
import { pick } from '../../worker/src/play.ts';
import { call, claims, cut, envWith, nothingLeftFor, onRelay, placed, pull, relay, runsOn } from './edge-harness.ts';

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
      expect((await call(e, 'GET', `/rest-api/play/${name}`)).headers.get('location')).toBe(`http://ok.relay/viewer.html?stream=${name}&edge=http%3A%2F%2Fedge`);
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

  it('relays that state their capacity: WebRTC viewers go to the one with room; when all are full, 503 with Retry-After, and HLS still plays', async () => {
    const e = envWith(['full', 'roomy']);
    expect((await pull(e, 'capped', { replicas: 2 })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await (await call(e, 'GET', '/rest-api/play/capped?proto=whep')).json() as { relay: string }).relay).toBe('roomy');
    expect((await call(e, 'POST', '/rest-api/pull/terminate', { localStreamName: 'capped' })).status).toBe(200);

    const f = envWith(['full']);
    expect((await pull(f, 'crowded')).status).toBe(200);
    const refused = await call(f, 'GET', '/rest-api/play/crowded?proto=webrtc');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toEqual({ error: 'relay_full', message: 'every relay that plays "crowded" is full; try again later' });
    const hls = await call(envWith(['full'], { RELAYS: JSON.stringify([{ id: 'full', url: 'http://full.relay', hls: 'http://full.relay:8082' }]) }), 'GET', '/rest-api/play/crowded?proto=hls');
    expect(hls.status).toBe(307);
    expect((await call(f, 'POST', '/rest-api/pull/terminate', { localStreamName: 'crowded' })).status).toBe(200);
  });

  it('more replicas than relays → 400; fewer healthy than asked → 503; nothing left either way', async () => {
    const tooMany = await pull(envWith(['ok', 'other']), 'greedy', { replicas: 3 });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({ error: 'bad_request', message: 'replicas: at most 2 (the relays in RELAYS and the members)' });
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


describe("WCS's statistics page on the edge", () => {
  it('sums the relays\' pages key by key, adds its own group, text as the SDK parses it and JSON; guarded by the token', async () => {
    const e = envWith(['ok', 'other', 'down']);
    const json = await (await call(e, 'GET', '/?action=stat&format=json')).json() as Record<string, Record<string, number>>;
    expect(json.edge_stats).toMatchObject({ relays: 3, relays_alive: 2 });
    expect(json.connections_stats).toEqual({ connections: 6, connections_websocket: 4 });
    const text = await (await call(e, 'GET', '/?action=stat')).text();
    expect(text).toMatch(/^-----Edge Stats\nrelays=3\nrelays_alive=2\npulls=\d+\n-----Connection Stats\nconnections=6\nconnections_websocket=4\n$/);
    expect((await call(envWith(['ok'], { API_TOKEN: 'secret' }), 'GET', '/?action=stat')).status).toBe(401);
    expect((await call(e, 'GET', '/')).status).toBe(302);
  });
});
