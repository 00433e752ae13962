/**
 * The `/pull/push` state machine, fast: a real Websocket WCS server on loopback (FakeWcsOrigin) taking the
 * publish, and a faked Janus (the one faked boundary), each case in milliseconds.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { loadConfig } from '../../../../relay/config.ts';
import { Logger, setLogLevel, type LogFields } from '../../../../relay/log.ts';
import { StreamRegistry } from '../../../../relay/streams/registry.ts';
import { StreamClaim } from '../../../../relay/streams/stream-factory.ts';
import type { Stream } from '../../../../relay/streams/stream.ts';
import { UdpPortPool } from '../../../../relay/media/udp-port-pool.ts';
import { h264Baseline, opus, vp8 } from '../../../../relay/sdp/description.ts';
import { WcsPushes } from '../../../../relay/outputs/wcs-push/wcs-pushes.ts';
import type { PushState, WcsPush } from '../../../../relay/outputs/wcs-push/wcs-push.ts';
import type { RelayContext } from '../../../../relay/context.ts';
import { FakeJanus } from '../../fakes/fake-janus.ts';
import { FakeWcsOrigin } from '../../fakes/fake-wcs-origin.ts';
import { MountpointSink } from '../../../../relay/outputs/mountpoint/mountpoint-sink.ts';
import { openAccess } from '../../fakes/open-access.ts';
import { recordedWebhooks } from '../../fakes/recorded-webhooks.ts';

setLogLevel('error');

function reaches(push: WcsPush, to: PushState): Promise<void> {
  return new Promise((resolve) => {
    if (push.pushState === to) return resolve();
    const on = (s: PushState) => { if (s === to) { push.off('state', on); resolve(); } };
    push.on('state', on);
  });
}

describe('WcsPush state machine', () => {
  let remote: FakeWcsOrigin;
  let janus: FakeJanus;
  let ctx: RelayContext;
  let pushes: WcsPushes;
  let local: Stream;
  const seen: PushState[] = [];

  const openLocal = async (codecs = { audio: opus(111), video: vp8(96) }) => {
    const stream = await StreamClaim.take(ctx, 'local')!.open({ mediaSessionId: `m-${Math.random()}`, origin: 'test', kinds: ['audio', 'video'] });
    await stream.useCodecs(codecs);
    return stream;
  };

  beforeEach(async () => {
    remote = await FakeWcsOrigin.start();
    janus = new FakeJanus();
    const config = loadConfig({ SIPHON_PULL_RETRY_MAX_MS: '60' });
    const access = Object.assign(new EventEmitter(), { state: 'up' as const, current: janus, streamingAdminKey: 'k' }) as never;
    const teePorts = new UdpPortPool({ from: 46000, to: 46999 }, 65536);
    ctx = { config, log: new Logger({ test: 'push' }), registry: new StreamRegistry(), teePorts, janus: access, ownSinks: MountpointSink.forEveryStream({ janus: access, teePorts }), access: openAccess(), nodeId: '127.0.0.1', webhooks: recordedWebhooks() };
    pushes = new WcsPushes(ctx);
    local = await openLocal();
    seen.length = 0;
  });

  afterEach(async () => {
    await pushes.closeAll();
    await Promise.all(ctx.registry.all().map((s) => s.close({ status: 'STOPPED', info: 'test over' })));
    await remote.close();
  });

  const start = async () => {
    const push = await pushes.create({ uri: remote.url, localStreamName: 'local', remoteStreamName: 'there' });
    seen.push(push.pushState);
    push.on('state', (s) => seen.push(s));
    return push;
  };

  it('NEW → PENDING → PUBLISHING: publishes the local stream under the remote name with the stream\'s codecs; RTP goes out', async () => {
    const push = await start();
    await reaches(push, 'PUBLISHING');
    expect(seen).toEqual(['PENDING', 'PUBLISHING']);
    expect((ctx.webhooks as ReturnType<typeof recordedWebhooks>).of('push.state').map((e) => [e.stream, e.data.kind, e.data.target, e.data.remoteStream, e.data.from, e.data.to]))
      .toEqual([['local', 'wcs', remote.url, 'there', 'NEW', 'PENDING'], ['local', 'wcs', remote.url, 'there', 'PENDING', 'PUBLISHING']]);
    const publish = remote.received.find((f) => f.message === 'publishStream')!.data[0]!;
    expect(publish).toMatchObject({ name: 'there', mediaSessionId: push.remoteMediaSessionId, published: true, hasAudio: true, hasVideo: true });
    expect(String(publish.sdp)).toMatch(/VP8\/90000/);
    expect(String(publish.sdp)).not.toMatch(/H264/);
    const sock = createSocket('udp4');
    await new Promise((r) => sock.send(Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7, 1, 2, 3]), local.ingressPorts.video!, '127.0.0.1', r));
    sock.close();
    await expect.poll(() => push.bytesOut).toBeGreaterThan(0);
  });

  it('the remote refuses the publish: FAILED with its reason, retried with backoff, PUBLISHING once it takes it', async () => {
    remote.refusePublish = 'Stream name already in use';
    const push = await start();
    await reaches(push, 'FAILED');
    expect([push.info, push.lastError]).toEqual(['Stream name already in use', 'Stream name already in use']);
    remote.refusePublish = undefined;
    await reaches(push, 'PUBLISHING');
    expect(push.attempts).toBeGreaterThanOrEqual(2);
  });

  it('the remote drops the connection: FAILED, then PUBLISHING again on a new leg; the old leg is hung up', async () => {
    const push = await start();
    await reaches(push, 'PUBLISHING');
    const firstId = push.remoteMediaSessionId;
    remote.dropConnections();
    await reaches(push, 'FAILED');
    expect(push.lastError).toMatch(/^remote closed the connection/);
    await reaches(push, 'PUBLISHING');
    expect(push.remoteMediaSessionId).not.toBe(firstId);
    expect(janus.open('janus.plugin.nosip')).toHaveLength(1);
  });

  it('the local stream ends: FAILED "local stream ended", and PUBLISHING again as soon as a stream of that name is back', async () => {
    const push = await start();
    await reaches(push, 'PUBLISHING');
    await local.close({ status: 'UNPUBLISHED', info: 'Stopped by publisher stop' });
    await reaches(push, 'FAILED');
    expect(push.info).toBe('local stream ended: Stopped by publisher stop');
    expect(janus.open('janus.plugin.nosip')).toHaveLength(0);
    await reaches(push, 'PENDING');
    await reaches(push, 'FAILED'); // retried while the name is free: says so
    expect(push.info).toBe('local stream "local" is not published on this relay');
    local = await openLocal({ audio: opus(111), video: h264Baseline(102) });
    await reaches(push, 'PUBLISHING');
    expect(String(remote.received.filter((f) => f.message === 'publishStream').at(-1)!.data[0]!.sdp)).toMatch(/H264\/90000/);
  });

  it('the local stream changes codecs (a pull reconnected to another source): published again with the new ones', async () => {
    const push = await start();
    await reaches(push, 'PUBLISHING');
    await local.useCodecs({ audio: opus(111), video: h264Baseline(102) });
    await reaches(push, 'FAILED');
    expect(push.info).toMatch(/changed codecs/);
    await reaches(push, 'PUBLISHING');
  });

  it('a hang-up of the leg: FAILED with why, retried', async () => {
    const push = await start();
    await reaches(push, 'PUBLISHING');
    janus.open('janus.plugin.nosip')[0]!.hangup('DTLS alert');
    await reaches(push, 'FAILED');
    expect(push.info).toBe('WebRTC leg ended: hangup: DTLS alert');
    await reaches(push, 'PUBLISHING');
  });

  it('terminate: TERMINATED, stopStream (published) sent, the leg gone, the local stream untouched, no retry', async () => {
    const push = await start();
    await reaches(push, 'PUBLISHING');
    const id = push.remoteMediaSessionId!;
    const [ended] = await pushes.terminate({ localStreamName: 'local' }, 'Stopped by rest /terminate');
    expect(ended).toBe(push);
    expect([push.pushState, push.info]).toEqual(['TERMINATED', 'Stopped by rest /terminate']);
    await expect.poll(() => remote.received.some((f) => f.message === 'stopStream' && f.data[0]?.mediaSessionId === id && f.data[0]?.published === true)).toBe(true);
    expect(janus.open('janus.plugin.nosip')).toHaveLength(0);
    expect(pushes.all()).toEqual([]);
    expect(local.isClosed).toBe(false);
  });

  it('refusals before anything is made: an unknown local stream → 404, the same remote name twice → 409, an http:// URL → 400', async () => {
    await expect(pushes.create({ uri: remote.url, localStreamName: 'nope', remoteStreamName: 'x' })).rejects.toMatchObject({ status: 404 });
    await start();
    await expect(pushes.create({ uri: remote.url, localStreamName: 'local', remoteStreamName: 'there' })).rejects.toMatchObject({ status: 409 });
    await expect(pushes.create({ uri: 'http://127.0.0.1:1/whip', localStreamName: 'local', remoteStreamName: 'y' })).rejects.toMatchObject({ status: 400 });
    await expect(pushes.create({ uri: 'ws://169.254.169.254/', localStreamName: 'local', remoteStreamName: 'y' })).rejects.toMatchObject({ status: 403 });
    expect(pushes.all()).toHaveLength(1);
  });
});

describe('WcsPush retries', () => {
  let remote: FakeWcsOrigin;
  let ctx: RelayContext;
  let pushes: WcsPushes;

  beforeEach(async () => {
    remote = await FakeWcsOrigin.start();
    const janus = new FakeJanus();
    const config = loadConfig({ SIPHON_PULL_RETRY_MAX_MS: '1500' });
    const access = Object.assign(new EventEmitter(), { state: 'up' as const, current: janus, streamingAdminKey: 'k' }) as never;
    const teePorts = new UdpPortPool({ from: 49000, to: 49999 }, 65536);
    ctx = { config, log: new Logger({ test: 'push-retry' }), registry: new StreamRegistry(), teePorts, janus: access, ownSinks: MountpointSink.forEveryStream({ janus: access, teePorts }), access: openAccess(), nodeId: '127.0.0.1', webhooks: recordedWebhooks() };
    pushes = new WcsPushes(ctx);
    const local = await StreamClaim.take(ctx, 'local')!.open({ mediaSessionId: 'm-local', origin: 'test', kinds: ['audio', 'video'] });
    await local.useCodecs({ audio: opus(111), video: vp8(96) });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    vi.spyOn(Math, 'random').mockReturnValue(1); // no jitter: the longest delay of each step
  });

  afterEach(async () => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    await pushes.closeAll();
    await Promise.all(ctx.registry.all().map((s) => s.close({ status: 'STOPPED', info: 'test over' })));
    await remote.close();
  });

  it('wait the backoff of the failures in a row, from 500 ms again once PUBLISHING; terminate drops a pending retry', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const waits = () => warn.mock.calls.filter(([event]) => event === 'push.retry_scheduled').map(([, f]) => (f as LogFields).inMs);
    remote.refusePublish = 'Stream name already in use';
    const push = await pushes.create({ uri: remote.url, localStreamName: 'local', remoteStreamName: 'there' });
    await reaches(push, 'FAILED');
    await vi.advanceTimersByTimeAsync(499);
    expect([waits(), push.pushState]).toEqual([[500], 'FAILED']);
    await vi.advanceTimersByTimeAsync(1);
    expect(push.pushState).toBe('PENDING');
    await reaches(push, 'FAILED');
    expect(waits()).toEqual([500, 1000]);
    remote.refusePublish = undefined;
    await vi.advanceTimersByTimeAsync(1000);
    await reaches(push, 'PUBLISHING');
    remote.dropConnections();
    await reaches(push, 'FAILED');
    expect([waits(), push.attempts]).toEqual([[500, 1000, 500], 3]);
    await push.terminate('Stopped by rest /terminate');
    await vi.advanceTimersByTimeAsync(60_000);
    expect([push.pushState, push.attempts]).toEqual(['TERMINATED', 3]);
  });
});
