/** The RTMP push's restarts on fake timers, behind its one faked boundary (the ffmpeg process): no real waiting. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import { Logger, setLogLevel } from '../../../../relay/log.ts';
import { StreamRegistry } from '../../../../relay/streams/registry.ts';
import { UdpPortPool } from '../../../../relay/media/udp-port-pool.ts';
import { StreamClaim } from '../../../../relay/streams/stream-factory.ts';
import { RtmpPushes } from '../../../../relay/outputs/rtmp/rtmp-pushes.ts';
import type { PusherEvents, PusherPlan, PusherProcess, SpawnPusher } from '../../../../relay/outputs/rtmp/ffmpeg-rtmp.ts';
import { h264Baseline, opus } from '../../../../relay/sdp/description.ts';
import type { RelayContext } from '../../../../relay/context.ts';
import { FakeJanus } from '../../fakes/fake-janus.ts';

setLogLevel('error');

class FakePusher extends EventEmitter<PusherEvents> implements PusherProcess {
  readonly transcodes = false;
  stopped = false;
  constructor(readonly plan: PusherPlan) { super(); }
  async stop(): Promise<void> { this.stopped = true; }
}

async function setup() {
  const made: FakePusher[] = [];
  const spawn: SpawnPusher = (plan) => { const p = new FakePusher(plan); made.push(p); return p; };
  const registry = new StreamRegistry();
  const teePorts = new UdpPortPool({ from: 53000, to: 53999 }, 65536);
  const ctx = { registry, teePorts, log: new Logger(), janus: new FakeJanus() } as unknown as RelayContext;
  const stream = await StreamClaim.take(ctx, 's')!.open({ mediaSessionId: 'm', origin: 'pull', kinds: ['audio', 'video'], codecs: { video: h264Baseline(102), audio: opus(111) } });
  stream.setSourceRtcp(59997);
  const pushes = new RtmpPushes(ctx, { x264Preset: 'superfast', x264Crf: 23, audioKbps: 96 }, spawn);
  const push = await pushes.startup('s', 'rtmp://live.example/app', false);
  return { pushes, push, made };
}

afterEach(() => { vi.useRealTimers(); vi.restoreAllMocks(); });

describe('RTMP push restarts', () => {
  it('wait the backoff of the failures in a row (500, 1000, 2000 ms at most), from 500 ms again once bytes flowed', async () => {
    const { pushes, push, made } = await setup();
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(1); // no jitter: the longest delay of each step
    const failAndWait = async (ms: number) => {
      made.at(-1)!.emit('exited', 'ffmpeg exited (code 1)');
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
    made.at(-1)!.emit('progress', 10);
    expect(push.state).toBe('running');
    await failAndWait(500);
    await pushes.terminate(push.mediaSessionId);
  });

  it('terminate while a restart is pending: the restart never comes', async () => {
    const { pushes, push, made } = await setup();
    vi.useFakeTimers();
    made[0]!.emit('exited', 'ffmpeg exited (code 1)');
    expect(await pushes.terminate(push.mediaSessionId)).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect([push.state, made.length]).toEqual(['stopped', 1]);
  });
});
