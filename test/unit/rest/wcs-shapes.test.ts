/**
 * WCS's REST request shapes through the relay's real HTTP app (buildApp over a fake relay), with the bodies WCS
 * documents and the SDK's REST client sends: /stream/find with `display: ["metrics"]` (nulls for unset filters, as
 * flashphoner-rest-api.js sends them), /stream/terminate with each documented filter, /stream/snapshot,
 * /connection/find_all|find|terminate and /data/send.
 */
import { describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../../relay/rest/app.ts';
import { MediaMeter } from '../../../relay/media/media-meter.ts';
import { SnapshotError } from '../../../relay/outputs/snapshot/snapshots.ts';
import type { ConnectionRecord } from '../../../relay/wcs-server/connection-record.ts';
import { fakeRelay } from '../fakes/fake-relay-view.ts';

type Session = { id: string; name: string; role: 'publisher' | 'player'; isEnded: boolean; status: string; info: string; startedAt: number };

function relayWithStreams() {
  const fake = fakeRelay();
  fake.state.pulls.length = 0;
  const meter = Object.assign(new MediaMeter(), { videoCodec: 'VP8' });
  const cam = { name: 'cam', status: 'PUBLISHING', codecs: { video: { pt: 100, name: 'VP8' }, audio: { pt: 111, name: 'OPUS' } },
    tee: { meter, keyframeRequests: 3, lostOf: (k: string) => (k === 'video' ? 7 : 1) } };
  const sessions: Session[] = [
    { id: 'ms-pub', name: 'cam', role: 'publisher', isEnded: false, status: 'PUBLISHING', info: '', startedAt: 1 },
    { id: 'ms-v1', name: 'cam', role: 'player', isEnded: false, status: 'PLAYING', info: '', startedAt: 2 },
    { id: 'ms-v2', name: 'cam', role: 'player', isEnded: false, status: 'FAILED', info: 'ICE failed', startedAt: 3 },
  ];
  fake.state.sessions.push(...sessions);
  const terminated: string[] = [];
  const delivered: Record<string, unknown>[] = [];
  const closed: string[] = [];
  const connection = (sessionId: string, clientVersion: string) => ({
    id: sessionId,
    record: { sessionId, appKey: 'defaultApp', remoteAddress: '10.0.0.5:5000', origin: 'https://example.com', status: 'ESTABLISHED', clientVersion,
      clientOSVersion: 'Linux', clientBrowserVersion: 'Chrome', mediaProviders: ['WebRTC'], mediaSessions: 1, createDate: 5 } satisfies ConnectionRecord,
    deliverData: (body: Record<string, unknown>) => { delivered.push(body); return true; },
    close: () => { closed.push(sessionId); },
  });
  const conns = [connection('s-a', '2.0'), connection('s-b', '1.0')];
  let snapshot: () => Promise<string> = async () => 'iVBORw0KGgo=';
  Object.assign(fake.relay, {
    wcs: { sessions: new Set(conns), find: (id: string) => conns.find((c) => c.id === id),
      terminate: (id: string) => { terminated.push(id); return true; } },
    snapshots: { take: () => snapshot() },
  });
  Object.assign(fake.relay.ctx, { nodeId: 'relay1@10.0.0.1' });
  Object.assign(fake.relay.ctx.registry, { get: (name: string) => (name === 'cam' ? cam : undefined) });
  const app = buildApp(fake.relay);
  const post = (path: string, body?: unknown) => app.request(path, {
    method: 'POST', headers: { 'content-type': 'application/json;charset=UTF-8' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { post, app, meter, terminated, delivered, closed, setSnapshot: (f: () => Promise<string>) => { snapshot = f; } };
}

/** A VP8 keyframe's first packet of 640×360 (descriptor S=1, frame tag key, start code, size). */
function vp8Keyframe(ts: number): Buffer {
  const b = Buffer.alloc(40);
  b[0] = 0x80; b[1] = 0x80 | 100; b.writeUInt32BE(ts, 4);
  b[12] = 0x10; // S bit, partition 0
  b[13] = 0x00; // key frame (P bit 0)
  b[16] = 0x9d; b[17] = 0x01; b[18] = 0x2a;
  b.writeUInt16LE(640, 19); b.writeUInt16LE(360, 21);
  return b;
}

describe('WCS REST shapes', () => {
  it("/stream/find as the SDK's REST client sends it with metrics: null filters are no filters; metrics by WCS's names", async () => {
    const { post, meter } = relayWithStreams();
    const t0 = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(t0 + 1600); // the metrics are read 1.6 s in, however slow the machine
    for (let i = 0; i <= 30; i++) meter.add('video', vp8Keyframe(i * 3000), t0 + i * 34);
    for (let i = 31; i <= 45; i++) meter.add('video', vp8Keyframe(i * 3000), t0 + i * 34);
    const res = await post('/rest-api/stream/find', { mediaSessionId: null, name: 'cam', published: true, display: ['metrics'] });
    expect(res.status).toBe(200);
    const rows = await res.json() as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ mediaSessionId: 'ms-pub', name: 'cam', published: true, mediaType: 'publish' });
    const metrics = rows[0]!.metrics as Record<string, number>;
    expect(metrics).toMatchObject({ VIDEO_CODEC: 100, AUDIO_CODEC: 111, VIDEO_WIDTH: 640, VIDEO_HEIGHT: 360, VIDEO_LOST: 7, AUDIO_LOST: 1, VIDEO_PLI: 3, VIDEO_B_FRAMES: 0 });
    expect(metrics.VIDEO_K_FRAMES).toBe(46);
    expect(metrics.VIDEO_FPS).toBeGreaterThan(25);
    expect(metrics.VIDEO_RATE).toBeGreaterThan(0);
    vi.restoreAllMocks();
    // Without display: WCS's record, no metrics; the web console's all-null query lists everything.
    expect((await (await post('/rest-api/stream/find', { name: 'cam', published: true })).json() as object[])[0]).not.toHaveProperty('metrics');
    expect(await (await post('/rest-api/stream/find', { mediaSessionId: null, name: null, published: null, display: ['metrics'] })).json()).toHaveLength(3);
    expect((await post('/rest-api/stream/find', { name: 'nothing' })).status).toBe(404);
    const bad = await post('/rest-api/stream/find', { display: ['everything'] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'bad_request' });
  });

  it('/stream/terminate: mediaSessionId, mediaSessionIds, name + published, status, and {} for every stream', async () => {
    const cases: [unknown, string[]][] = [
      [{ mediaSessionId: 'ms-v1' }, ['ms-v1']],
      [{ mediaSessionIds: ['ms-v1', 'ms-v2'] }, ['ms-v1', 'ms-v2']],
      [{ name: 'cam', published: false }, ['ms-v1', 'ms-v2']],
      [{ status: 'FAILED' }, ['ms-v2']],
      [{}, ['ms-pub', 'ms-v1', 'ms-v2']],
    ];
    for (const [body, ids] of cases) {
      const { post, terminated } = relayWithStreams();
      const res = await post('/rest-api/stream/terminate', body);
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(await res.json()).toEqual({ terminated: ids });
      expect(terminated).toEqual(ids);
    }
    const { post, terminated } = relayWithStreams();
    expect((await post('/rest-api/stream/terminate')).status).toBe(400); // an empty body is no filter: nothing ends by accident
    expect(terminated).toHaveLength(0);
    expect((await relayWithStreams().post('/rest-api/stream/terminate', { status: 'UNPUBLISHED' })).status).toBe(404);
    expect((await relayWithStreams().post('/rest-api/stream/terminate', { mediaSessionIds: [] })).status).toBe(400);
  });

  it('/stream/snapshot {streamName} → {data}; 404 for a stream not playing here; 500 with why when no picture comes; 409 audio only', async () => {
    const { post, setSnapshot } = relayWithStreams();
    const ok = await post('/rest-api/stream/snapshot', { streamName: 'cam' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ data: 'iVBORw0KGgo=' });
    expect((await post('/rest-api/stream/snapshot', { streamName: 'other' })).status).toBe(404);
    expect((await post('/rest-api/stream/snapshot', {})).status).toBe(400);
    setSnapshot(async () => { throw new SnapshotError('No picture within 5000 ms (no keyframe from the source)'); });
    const failed = await post('/rest-api/stream/snapshot', { streamName: 'cam' });
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: 'snapshot_failed', message: 'No picture within 5000 ms (no keyframe from the source)' });
    setSnapshot(async () => { throw new SnapshotError('Stream has no video', 409); });
    const audioOnly = await post('/rest-api/stream/snapshot', { streamName: 'cam' });
    expect([audioOnly.status, await audioOnly.json()]).toEqual([409, { error: 'no_video', message: 'Stream has no video' }]);
  });

  it('/connection/find_all (GET as the SDK sends it), find by sessionId or clientVersion, terminate', async () => {
    const { app, post, closed } = relayWithStreams();
    const all = await app.request('/rest-api/connection/find_all');
    expect(all.status).toBe(200);
    expect((await all.json() as ConnectionRecord[]).map((r) => r.sessionId)).toEqual(['s-a', 's-b']);
    expect(await (await post('/rest-api/connection/find', { clientVersion: '1.0' })).json()).toMatchObject([{ sessionId: 's-b', appKey: 'defaultApp', mediaProviders: ['WebRTC'] }]);
    expect(await (await post('/rest-api/connection/find', { sessionId: 's-a' })).json()).toMatchObject([{ sessionId: 's-a', origin: 'https://example.com' }]);
    expect((await post('/rest-api/connection/find', { sessionId: 'nobody' })).status).toBe(404);
    expect(await (await post('/rest-api/connection/terminate', { sessionId: 's-b' })).json()).toEqual({ terminated: ['s-b'] });
    expect(closed).toEqual(['s-b']);
    expect((await post('/rest-api/connection/terminate', { sessionId: 'nobody' })).status).toBe(404);
    expect((await post('/rest-api/connection/terminate', {})).status).toBe(400);
  });

  it('/data/send {sessionId, payload} reaches that session as OnDataEvent with nodeId, appKey and an operationId', async () => {
    const { post, delivered } = relayWithStreams();
    const res = await post('/rest-api/data/send', { sessionId: 's-a', payload: { message: 'hello' } });
    expect(res.status).toBe(200);
    expect(delivered).toEqual([{ nodeId: 'relay1@10.0.0.1', appKey: 'defaultApp', sessionId: 's-a', operationId: expect.any(String), payload: { message: 'hello' } }]);
    expect((await post('/rest-api/data/send', { sessionId: 'nobody', payload: {} })).status).toBe(404);
    expect((await post('/rest-api/data/send', { payload: {} })).status).toBe(400);
  });
});
