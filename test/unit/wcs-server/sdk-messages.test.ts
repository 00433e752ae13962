/**
 * Every message the Web SDK can send gets its answer or a `fail` with the reason, never silence (a stream or call
 * would wait forever): the names are read from the SDK's own source, and each is sent to a real WcsSession over a
 * faked socket and a faked Janus. Also the SDK's `stream.snapshot()`: completed, failed, refused.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { WebSocket } from 'ws';
import { StreamRegistry } from '../../../relay/streams/registry.ts';
import { WcsSession, type WcsHooks } from '../../../relay/wcs-server/connection.ts';
import { HANDLED, RECORDED, UNSUPPORTED } from '../../../relay/wcs-server/sdk-messages.ts';
import { FakeJanus } from '../fakes/fake-janus.ts';
import { recordedWebhooks } from '../fakes/recorded-webhooks.ts';
import { FakeSocket, fakeWcsContext, type Sent } from '../fakes/fake-wcs-socket.ts';

const sdkDir = dirname(createRequire(import.meta.url).resolve('@flashphoner/websdk/package.json'));
const read = (file: string) => readFileSync(join(sdkDir, file), 'utf8');
const PUBLISH_OFFER = readFileSync(new URL('../../fixtures/sdp/chromium-publish-offer.sdp', import.meta.url), 'utf8');
const PLAY_OFFER = readFileSync(new URL('../../fixtures/sdp/chromium-play-offer.sdp', import.meta.url), 'utf8');

/** Every name the SDK puts in `{message, data}` towards the server: core's send(), the log pusher, the metrics sender. */
function sdkMessageNames(): string[] {
  const names = new Set<string>();
  for (const m of read('src/flashphoner-core.js').matchAll(/\bsend\("(\w+)"/g)) names.add(m[1]!);
  for (const m of read('src/util.js').matchAll(/message: "(\w+)"/g)) names.add(m[1]!);
  for (const m of read('flashphoner.js').matchAll(/RTCMetricsMessageType\["\w+"\] = "(\w+)"/g)) names.add(m[1]!);
  return [...names].sort();
}

const stream = (id: string, name: string, sdp?: string) => ({ mediaSessionId: id, name, published: !!sdp, hasVideo: true, hasAudio: true, status: 'PENDING', sdp });
const failWith = (info: string | RegExp) => (f: Sent) => f.message === 'fail' && (typeof info === 'string' ? f.data[0]?.info === info : info.test(String(f.data[0]?.info)));
const streamEvent = (id: string, type: string) => (f: Sent) => f.message === 'notifyStreamEvent' && f.data[0]?.mediaSessionId === id && f.data[0]?.type === type;
const SIP = /^SIP calls are not supported/;

/** What each message is sent with, and the answer the SDK waits for. `null`: no frame is due (logged instead). */
const EXCHANGES: Record<string, { data: unknown; answer: ((f: Sent) => boolean) | null }> = {
  connection: { data: { appKey: 'defaultApp' }, answer: (f) => f.message === 'fail' && f.data[0]?.info === 'Session already connected' },
  ping: { data: null, answer: (f) => f.message === 'pong' },
  pong: { data: null, answer: null },
  publishStream: { data: stream('p1', 'cam', PUBLISH_OFFER), answer: (f) => f.message === 'setRemoteSDP' && (f.data[0] as unknown) === 'p1' },
  playStream: { data: stream('v1', 'nothing', PLAY_OFFER), answer: (f) => f.message === 'notifyStreamStatusEvent' && f.data[0]?.status === 'FAILED' && f.data[0]?.info === 'Stream not found' },
  unPublishStream: { data: stream('none', 'cam'), answer: failWith('Stream not found') },
  stopStream: { data: stream('none', 'cam'), answer: failWith('Stream not found') },
  availableStream: { data: { mediaSessionId: 'a1', name: 'nothing' }, answer: (f) => f.message === 'availableStream' && f.data[0]?.status === 'false' },
  sendStreamEvent: { data: { mediaSessionId: 'none', type: 'audioMuted', payload: {} }, answer: failWith('Stream not found') },
  sendData: { data: { operationId: 'op1', payload: { hello: 1 } }, answer: (f) => f.message === 'DataStatusEvent' && f.data[0]?.status === 'ACCEPTED' },
  snapshot: { data: { mediaSessionId: 's1', name: 'nothing' }, answer: streamEvent('s1', 'snapshotFailed') },
  pushLogs: { data: { logs: 'log text' }, answer: null },
  submitBugReport: { data: { text: 'it broke' }, answer: null },
  call: { data: { callId: 'c1', callee: 'x' }, answer: failWith(SIP) },
  answer: { data: { callId: 'c1' }, answer: failWith(SIP) },
  hangup: { data: { callId: 'c1' }, answer: failWith(SIP) },
  hold: { data: { callId: 'c1' }, answer: failWith(SIP) },
  unhold: { data: { callId: 'c1' }, answer: failWith(SIP) },
  sendDtmf: { data: { callId: 'c1', dtmf: '1' }, answer: failWith(SIP) },
  transfer: { data: { callId: 'c1', target: 'y' }, answer: failWith(SIP) },
  sessionDebug: { data: { command: 'start' }, answer: failWith(/^Session debug is not supported/) },
  webRTCMetricsClientDescription: { data: {}, answer: failWith(/^WebRTC metrics collection is not supported/) },
  webRTCMetricsBatch: { data: {}, answer: failWith(/^WebRTC metrics collection is not supported/) },
};

let janus: FakeJanus;
let registry: StreamRegistry;
let sessions: WcsSession[];
beforeEach(() => { janus = new FakeJanus(); registry = new StreamRegistry(); sessions = []; });
afterEach(() => { for (const s of sessions) s.close(); });

/** A connected session (getUserData received) on the faked socket; `lines` is what it logged. */
async function open(hooks: WcsHooks = {}, env: Record<string, string> = {}) {
  const ws = new FakeSocket();
  const { ctx, lines } = fakeWcsContext(janus, registry, recordedWebhooks(), env);
  sessions.push(new WcsSession(ws as unknown as WebSocket, ctx, { remote: '127.0.0.1:5000', address: '127.0.0.1', urlServer: 'ws://127.0.0.1:8080/', nodeId: 'n' }, () => undefined, hooks));
  ws.client('connection', { appKey: 'defaultApp', clientVersion: '2.0' });
  await ws.next((f) => f.message === 'getUserData');
  return { ws, lines };
}

describe('every SDK message gets its answer or a fail', () => {
  it('the SDK sends the messages this server lists, each one handled, recorded or refused with a reason', () => {
    const names = sdkMessageNames();
    expect(names.length).toBeGreaterThanOrEqual(20); // the extraction still finds the SDK's send()s
    const known = new Set<string>([...HANDLED, ...RECORDED, ...Object.keys(UNSUPPORTED)]);
    expect(names.filter((n) => !known.has(n))).toEqual([]);
    expect(names.filter((n) => !(n in EXCHANGES))).toEqual([]);
  });

  for (const name of sdkMessageNames()) {
    it(`${name}`, async () => {
      const exchange = EXCHANGES[name]!;
      const { ws, lines } = await open();
      const before = ws.sent.length;
      ws.client(name, exchange.data);
      if (exchange.answer) {
        await ws.next((f) => ws.sent.indexOf(f) >= before && exchange.answer!(f));
      } else {
        await Promise.resolve();
        expect(ws.sent.slice(before).filter((f) => f.message === 'fail')).toEqual([]);
        if (name !== 'pong') expect(lines).toContainEqual(expect.objectContaining({ event: 'wcs.client_report', fields: expect.objectContaining({ message: name }) }));
      }
      expect(ws.closedWith).toBeUndefined();
    });
  }
});

describe("the SDK's stream.snapshot()", () => {
  /** A publisher of `cam` whose leg is up: the stream is PUBLISHING. */
  const publishCam = async () => {
    const { ws: pub } = await open();
    pub.client('publishStream', stream('p1', 'cam', PUBLISH_OFFER));
    await pub.next((f) => f.message === 'setRemoteSDP');
    janus.open('janus.plugin.nosip')[0]!.webrtcUp();
    await pub.next((f) => f.message === 'notifyStreamStatusEvent' && f.data[0]?.status === 'PUBLISHING');
  };

  it('a live stream: snapshotCompleted on the asking stream object, with the raw base64 PNG the page puts after data:image/png;base64,', async () => {
    await publishCam();
    const asked: string[] = [];
    const { ws } = await open({ snapshot: async (s) => { asked.push(s.name); return 'iVBORw0KGgoAAAANSUhEUg=='; } });
    ws.client('snapshot', { mediaSessionId: 'snap-1', name: 'cam' });
    const done = await ws.next(streamEvent('snap-1', 'snapshotCompleted'));
    expect(done.data[0]).toEqual({ mediaSessionId: 'snap-1', type: 'snapshotCompleted', payload: { snapshot: 'iVBORw0KGgoAAAANSUhEUg==' } });
    expect(asked).toEqual(['cam']);
  });

  it('a decode that fails: snapshotFailed with why; no stream: "Stream not found"; a bad request: fail', async () => {
    await publishCam();
    const { ws } = await open({ snapshot: async () => { throw new Error('No picture within 5000 ms (no keyframe from the source)'); } });
    ws.client('snapshot', { mediaSessionId: 'snap-1', name: 'cam' });
    expect((await ws.next(streamEvent('snap-1', 'snapshotFailed'))).data[0]!.payload).toEqual({ info: 'No picture within 5000 ms (no keyframe from the source)' });
    ws.client('snapshot', { mediaSessionId: 'snap-2', name: 'elsewhere' });
    expect((await ws.next(streamEvent('snap-2', 'snapshotFailed'))).data[0]!.payload).toEqual({ info: 'Stream not found' });
    ws.client('snapshot', { name: 'cam' });
    await ws.next(failWith('MediaSessionId is null'));
  });

  it('a snapshot is a play: a name the play restriction refuses gets snapshotFailed Forbidden, and no decode', async () => {
    await publishCam();
    let decodes = 0;
    const { ws } = await open({ snapshot: async () => { decodes += 1; return 'x'; } }, { SIPHON_ALLOW_PLAY_NAMES: 'public-*' });
    ws.client('snapshot', { mediaSessionId: 'snap-1', name: 'cam' });
    const info = String(((await ws.next(streamEvent('snap-1', 'snapshotFailed'))).data[0]!.payload as { info: string }).info);
    expect(info).toBe('Forbidden: the name "cam" may not be played here: no entry of the list allows it');
    expect(decodes).toBe(0);
  });
});
