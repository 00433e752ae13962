/** The RTMP push state machine behind one faked boundary, the pusher's ffmpeg (FakeFfmpeg); and the target's URL and masking. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Logger, setLogLevel } from '../../../../relay/log.ts';
import { StreamRegistry } from '../../../../relay/streams/registry.ts';
import { UdpPortPool } from '../../../../relay/media/udp-port-pool.ts';
import { StreamClaim } from '../../../../relay/streams/stream-factory.ts';
import { RtmpPushes, PushRefusedError } from '../../../../relay/outputs/rtmp/rtmp-pushes.ts';
import { RtmpTargetError, maskKey, rtmpTarget } from '../../../../relay/outputs/rtmp/rtmp-target.ts';
import { h264Baseline, opus } from '../../../../relay/sdp/description.ts';
import type { RelayContext } from '../../../../relay/context.ts';
import { FakeJanus } from '../../fakes/fake-janus.ts';
import { fakeFfmpeg } from '../../fakes/fake-ffmpeg.ts';
import { recordedWebhooks } from '../../fakes/recorded-webhooks.ts';

setLogLevel('error');

async function setup() {
  const { spawn, made } = fakeFfmpeg('pusher');
  const registry = new StreamRegistry();
  const teePorts = new UdpPortPool({ from: 52000, to: 52999 }, 65536);
  const webhooks = recordedWebhooks();
  const ctx = { registry, teePorts, log: new Logger(), janus: new FakeJanus(), webhooks } as unknown as RelayContext;
  const stream = await StreamClaim.take(ctx, 's')!.open({ mediaSessionId: 'm', origin: 'pull', kinds: ['audio', 'video'], codecs: { video: h264Baseline(102), audio: opus(111) } });
  stream.setSourceRtcp(59998);
  const pushes = new RtmpPushes(ctx, { x264Preset: 'superfast', x264Crf: 23, audioKbps: 96 }, spawn);
  return { pushes, stream, made, teePorts, webhooks };
}

describe('RTMP push', () => {
  it('starting → running on the first bytes; ffmpeg dies → restarting with backoff, a new ffmpeg, attempts counted; terminate stops it all', async () => {
    const { pushes, stream, made, teePorts } = await setup();
    const push = await pushes.startup('s', 'rtmp://live.example/app', false);
    expect([push.state, made.length, stream.tee.sinkCount]).toEqual(['starting', 1, 2]);
    expect(made[0]!.plan.target.url).toBe('rtmp://live.example/app/s');
    expect(stream.tee.keyframeRequests).toBe(1);
    made[0]!.sent(0);
    expect(push.state).toBe('starting');
    made[0]!.sent(5000);
    expect(push.state).toBe('running');
    made[0]!.exit('ffmpeg exited (code 1): Connection refused');
    expect([push.state, push.lastError]).toEqual(['restarting', 'ffmpeg exited (code 1): Connection refused']);
    await expect.poll(() => made.length, { timeout: 2000 }).toBe(2); // the first retry comes within 1 s
    made[1]!.sent(100);
    expect([push.state, push.attempts, push.bytesSent]).toEqual(['running', 2, 5100]);
    expect(await pushes.terminate(push.mediaSessionId)).toBe(true);
    expect([push.state, made[1]!.stopped, pushes.all().length, stream.tee.sinkCount]).toEqual(['stopped', true, 0, 0]);
    expect(teePorts.size).toBe(2); // only the stream's own ingress pairs
  });

  it("a pull's reconnect (the source restarted) restarts ffmpeg, not the push; the stream's end stops it", async () => {
    const { pushes, stream, made, webhooks } = await setup();
    const push = await pushes.startup('s', 'rtmp://live.example/app/key', true);
    made[0]!.sent(10);
    push.sourceStarted();
    await expect.poll(() => made.length).toBe(2);
    expect(made[0]!.stopped).toBe(true);
    await stream.close({ status: 'STOPPED', info: 'relay shutting down' });
    expect([push.state, made[1]!.stopped, pushes.all()]).toEqual(['stopped', true, []]);
    // Each transition is a push.state webhook; the stream key never leaves the relay.
    expect(webhooks.of('push.state').map((e) => `${e.data.from}→${e.data.to}`)).toEqual(['idle→starting', 'starting→running', 'running→restarting', 'restarting→stopped']);
    expect(webhooks.of('push.state')[0]).toEqual({ type: 'push.state', stream: 's',
      data: { kind: 'rtmp', pushId: push.mediaSessionId, target: 'rtmp://live.example/app/***', remoteStream: null, from: 'idle', to: 'starting', info: expect.any(String) } });
    expect(JSON.stringify(webhooks.emitted)).not.toContain('/key');
  });

  it('refusals: unknown stream 404, the same stream and target twice 409, not rtmp(s) 400', async () => {
    const { pushes } = await setup();
    await expect(pushes.startup('nope', 'rtmp://h/app', false)).rejects.toMatchObject({ status: 404 } satisfies Partial<PushRefusedError>);
    await pushes.startup('s', 'rtmp://h/app', false);
    await expect(pushes.startup('s', 'rtmp://h/app/s', true)).rejects.toMatchObject({ status: 409 });
    await expect(pushes.startup('s', 'https://h/app', false)).rejects.toThrow(RtmpTargetError);
    await pushes.closeAll();
  });

  it('the stream key is masked wherever it is shown', () => {
    expect(rtmpTarget('rtmps://live.example.com:443/app', 'KEY-1', false)).toEqual({ url: 'rtmps://live.example.com:443/app/KEY-1', masked: 'rtmps://live.example.com:443/app/***' });
    expect(maskKey('rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl?backup=1')).toBe('rtmp://a.rtmp.youtube.com/live2/***?***');
    expect(maskKey('rtmp://host/app')).toBe('rtmp://host/app');
  });
});

describe('RTMP push restarts, on fake timers', () => {
  afterEach(() => { vi.useRealTimers(); vi.restoreAllMocks(); });

  it('wait the backoff of the failures in a row (500, 1000, 2000 ms at most), from 500 ms again once bytes flowed', async () => {
    const { pushes, made } = await setup();
    const push = await pushes.startup('s', 'rtmp://live.example/app', false);
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(1); // no jitter: the longest delay of each step
    const failAndWait = async (ms: number) => {
      made.at(-1)!.exit('ffmpeg exited (code 1)');
      expect(push.state).toBe('restarting');
      const before = made.length;
      await vi.advanceTimersByTimeAsync(ms - 1);
      expect(made.length).toBe(before);
      await vi.advanceTimersByTimeAsync(1);
      await vi.waitFor(() => expect(made.length).toBe(before + 1));
    };
    await failAndWait(500);
    await failAndWait(1000);
    await failAndWait(2000);
    made.at(-1)!.sent(10);
    expect(push.state).toBe('running');
    await failAndWait(500);
    await pushes.terminate(push.mediaSessionId);
  });

  it('terminate while a restart is pending: the restart never comes', async () => {
    const { pushes, made } = await setup();
    const push = await pushes.startup('s', 'rtmp://live.example/app', false);
    vi.useFakeTimers();
    made[0]!.exit('ffmpeg exited (code 1)');
    expect(await pushes.terminate(push.mediaSessionId)).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect([push.state, made.length]).toEqual(['stopped', 1]);
  });
});
