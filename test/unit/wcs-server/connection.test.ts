/**
 * One WCS Websocket API session, fast: frames in and out of a faked socket, media legs on a faked Janus
 * (the one faked boundary), the SDK's own offers from test/fixtures. Publish, play, stop, name in use,
 * malformed frames.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { WebSocket } from 'ws';
import { loadConfig } from '../../../relay/config.ts';
import { Logger, setLogLevel } from '../../../relay/log.ts';
import { StreamRegistry } from '../../../relay/streams/registry.ts';
import { WcsSession } from '../../../relay/wcs-server/connection.ts';
import { FakeJanus } from '../fakes/fake-janus.ts';
import { accessControlFrom } from '../../../relay/access/access-settings.ts';
import { recordedWebhooks } from '../fakes/recorded-webhooks.ts';
import { FAKE_LEG_BYTES, FakeSocket, fakeWcsContext, type Sent } from '../fakes/fake-wcs-socket.ts';

setLogLevel('error');
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/sdp/${name}`, import.meta.url), 'utf8');
const PUBLISH_OFFER = fixture('chromium-publish-offer.sdp');
const PLAY_OFFER = fixture('chromium-play-offer.sdp');

const status = (id: string, s: string) => (f: Sent) => f.message === 'notifyStreamStatusEvent' && f.data[0]?.mediaSessionId === id && f.data[0]?.status === s;
const stream = (id: string, name: string, sdp?: string) => ({ mediaSessionId: id, name, published: !!sdp, hasVideo: true, hasAudio: true, status: 'PENDING', sdp });

const CLIENT = { remote: '127.0.0.1:5000', address: '127.0.0.1', urlServer: 'ws://127.0.0.1:8080/', nodeId: 'test@127.0.0.1' };

describe('WcsSession', () => {
  let janus: FakeJanus;
  let registry: StreamRegistry;
  let sessions: WcsSession[];
  let webhooks: ReturnType<typeof recordedWebhooks>;
  const open = async (env: Record<string, string> = {}) => {
    const ws = new FakeSocket();
    sessions.push(new WcsSession(ws as unknown as WebSocket, fakeWcsContext(janus, registry, webhooks, env).ctx, CLIENT, () => undefined));
    ws.client('connection', { appKey: 'defaultApp', clientVersion: '2.0' });
    await ws.next((f) => f.message === 'getUserData');
    return ws;
  };
  const publish = async (ws: FakeSocket, id: string, name: string) => {
    ws.client('publishStream', stream(id, name, PUBLISH_OFFER));
    await ws.next((f) => f.message === 'setRemoteSDP' || status(id, 'FAILED')(f));
  };

  beforeEach(() => { janus = new FakeJanus(); registry = new StreamRegistry(); sessions = []; webhooks = recordedWebhooks(); });
  afterEach(() => { for (const s of sessions) s.close(); });

  it('connection → getUserData ESTABLISHED; anything before it → "Session not ready"', async () => {
    const ws = new FakeSocket();
    const config = loadConfig({});
    sessions.push(new WcsSession(ws as unknown as WebSocket, { config, log: new Logger(), registry, access: accessControlFrom(config, new Logger(), recordedWebhooks()) } as never, CLIENT, () => undefined));
    ws.client('playStream', stream('early', 's'));
    expect(ws.sent[0]).toMatchObject({ message: 'fail', data: [{ info: 'Session not ready' }] });
    ws.client('connection', {});
    expect(await ws.next((f) => f.message === 'getUserData')).toMatchObject({ data: [{ status: 'ESTABLISHED' }] });
  });

  it('publish: answer, PUBLISHING once the leg is up, the stream and its mountpoint exist', async () => {
    const ws = await open();
    await publish(ws, 'p1', 'cam');
    const answer = ws.sent.find((f) => f.message === 'setRemoteSDP')!;
    expect(answer.data.slice(0, 1)).toEqual(['p1']);
    expect(String(answer.data[1])).toMatch(/^v=0/);
    janus.open('janus.plugin.nosip')[0]!.webrtcUp();
    await ws.next(status('p1', 'PUBLISHING'));
    expect(registry.get('cam')?.codecs.video?.name).toBe('VP8');
    expect(janus.mountpoints).toEqual(new Set(['cam']));
  });

  it('a second publish of a name in use fails with "Stream name is already in use"; the first is untouched', async () => {
    const a = await open();
    await publish(a, 'p1', 'cam');
    const b = await open();
    b.client('publishStream', stream('p2', 'cam', PUBLISH_OFFER));
    expect((await b.next(status('p2', 'FAILED'))).data[0]!.info).toBe('Stream name is already in use');
    expect(registry.get('cam')?.mediaSessionId).toBe('p1');
  });

  // mountpoint: the stream's mountpoint answers the player (the default); tee: a NoSIP leg each, fed from Node.
  for (const fanout of ['mountpoint', 'tee'] as const) {
  it(`play (${fanout}): unknown name → "Stream not found"; a live one → answer and PLAYING; publisher stop → player STOPPED`, async () => {
    const env = { SIPHON_PLAYER_FANOUT: fanout };
    const pub = await open(env);
    await publish(pub, 'p1', 'cam');
    janus.open('janus.plugin.nosip')[0]!.webrtcUp();
    const viewer = await open(env);
    viewer.client('playStream', stream('v0', 'nothing', PLAY_OFFER));
    expect((await viewer.next(status('v0', 'FAILED'))).data[0]!.info).toBe('Stream not found');
    viewer.client('playStream', stream('v1', 'cam', PLAY_OFFER));
    await viewer.next((f) => f.message === 'setRemoteSDP' && (f.data[0] as unknown) === 'v1');
    const leg = janus.open(fanout === 'tee' ? 'janus.plugin.nosip' : 'janus.plugin.streaming').at(-1)!;
    if (fanout === 'mountpoint') expect(leg.requests[0]).toMatchObject({ body: { request: 'watch', id: 'cam' }, jsep: { type: 'offer' } });
    leg.webrtcUp();
    await viewer.next(status('v1', 'PLAYING'));
    expect(registry.get('cam')?.players).toHaveLength(1);

    pub.client('unPublishStream', stream('p1', 'cam'));
    await pub.next(status('p1', 'UNPUBLISHED'));
    expect((await viewer.next(status('v1', 'STOPPED'))).data[0]!.info).toBe('Stopped by publisher stop');
    await new Promise<void>((resolve) => registry.get('cam') ? registry.get('cam')!.once('closed', () => resolve()) : resolve());
    expect(registry.get('cam')).toBeUndefined();
    expect(registry.claimName('cam')).toBe(true);
    expect(webhooks.of('play.started')).toEqual([{ type: 'play.started', stream: 'cam', data: { protocol: 'wcs', sessionId: 'v1' } }]);
    expect(webhooks.of('play.stopped')).toEqual([{ type: 'play.stopped', stream: 'cam',
      data: { protocol: 'wcs', sessionId: 'v1', bytes: fanout === 'tee' ? 0 : FAKE_LEG_BYTES, durationMs: expect.any(Number), reason: 'Stopped by publisher stop' } }]);
  });
  }

  it("a Janus whose mountpoint cannot answer (not built by setup): the player gets a NoSIP leg, and says why once", async () => {
    janus.stockStreaming = true;
    const pub = await open();
    await publish(pub, 'p1', 'cam');
    janus.open('janus.plugin.nosip')[0]!.webrtcUp();
    const viewer = await open();
    for (const id of ['v1', 'v2']) {
      viewer.client('playStream', stream(id, 'cam', PLAY_OFFER));
      await viewer.next((f) => f.message === 'setRemoteSDP' && (f.data[0] as unknown) === id);
      janus.open('janus.plugin.nosip').at(-1)!.webrtcUp();
      await viewer.next(status(id, 'PLAYING'));
    }
    // One watch tried, then NoSIP legs only; the tried viewer handle is detached.
    const watches = janus.handles.filter((h) => h.requests.some((r) => r.body.request === 'watch'));
    expect(watches).toHaveLength(1);
    expect(watches[0]!.closed).toBe(true);
    expect(registry.get('cam')?.players).toHaveLength(2);
  });

  it('a mountpoint that goes away between the play and its watch: the player gets a NoSIP leg and plays', async () => {
    const pub = await open();
    await publish(pub, 'p1', 'cam');
    janus.open('janus.plugin.nosip')[0]!.webrtcUp();
    janus.mountpoints.delete('cam'); // the fake's watch now fails as Janus does: 455 No such mountpoint
    const viewer = await open();
    viewer.client('playStream', stream('v1', 'cam', PLAY_OFFER));
    await viewer.next((f) => f.message === 'setRemoteSDP' && (f.data[0] as unknown) === 'v1');
    janus.open('janus.plugin.nosip').at(-1)!.webrtcUp();
    await viewer.next(status('v1', 'PLAYING'));
    const watch = janus.handles.find((h) => h.requests.some((r) => r.body.request === 'watch'))!;
    expect(watch.closed).toBe(true);
    // A failed watch is not a Janus that cannot answer: the next player tries the mountpoint again.
    janus.mountpoints.add('cam');
    viewer.client('playStream', stream('v2', 'cam', PLAY_OFFER));
    await viewer.next((f) => f.message === 'setRemoteSDP' && (f.data[0] as unknown) === 'v2');
    expect(janus.open('janus.plugin.streaming').at(-1)!.requests[0]).toMatchObject({ body: { request: 'watch', id: 'cam' } });
  });

  it('garbage SDP fails that stream only, and leaves the name free', async () => {
    const ws = await open();
    ws.client('publishStream', stream('p1', 'cam', 'v=0 this is not sdp'));
    expect(String((await ws.next(status('p1', 'FAILED'))).data[0]!.info)).toMatch(/^Failed by error: invalid SDP/);
    await publish(ws, 'p2', 'cam');
    expect(ws.sent.some(status('p2', 'FAILED'))).toBe(false);
  });

  it('a malformed or binary frame gets a fail and closes the session (1007); an unknown message only a fail', async () => {
    const ws = await open();
    ws.client('noSuchThing', {});
    expect(ws.sent.at(-1)).toMatchObject({ message: 'fail', data: [{ info: 'Unknown message noSuchThing' }] });
    expect(ws.closedWith).toBeUndefined();
    ws.emit('message', Buffer.from('{"message":'), false);
    expect(ws.sent.at(-1)).toMatchObject({ message: 'fail' });
    expect(ws.closedWith).toBe(1007);
    const bin = await open();
    bin.emit('message', Buffer.from([1, 2, 3]), true);
    expect(bin.closedWith).toBe(1007);
  });

  it('the socket closing ends its publisher (UNPUBLISHED) and frees the name', async () => {
    const ws = await open();
    await publish(ws, 'p1', 'cam');
    const closed = new Promise((r) => registry.get('cam')!.once('closed', r));
    ws.close(1006);
    await closed;
    expect(registry.claimName('cam')).toBe(true);
  });

  it('its record for REST /connection/* and /data/send: what the client said, and OnDataEvent only while connected', async () => {
    const ws = await open();
    const session = sessions.at(-1)!;
    await publish(ws, 'p1', 'cam');
    expect(session.record).toMatchObject({ sessionId: session.id, appKey: 'defaultApp', remoteAddress: '127.0.0.1:5000', origin: null,
      status: 'ESTABLISHED', clientVersion: '2.0', mediaSessions: 1 });
    expect(session.deliverData({ sessionId: session.id, operationId: 'op', payload: { hi: 1 } })).toBe(true);
    expect(ws.sent.at(-1)).toEqual({ message: 'OnDataEvent', data: [{ sessionId: session.id, operationId: 'op', payload: { hi: 1 } }] });
    const closed = new Promise((r) => registry.get('cam')!.once('closed', r));
    session.close(1000, 'terminated by REST');
    await closed; // its publisher went with it
    expect(session.deliverData({ payload: {} })).toBe(false);
  });
});
