/** The HLS output's state machine behind one faked boundary, the packager's ffmpeg (FakeFfmpeg, writing ffmpeg's real boxes). */
import { describe, expect, it, vi } from 'vitest';
import { Logger, setLogLevel } from '../../../../relay/log.ts';
import { StreamRegistry } from '../../../../relay/streams/registry.ts';
import { UdpPortPool } from '../../../../relay/media/udp-port-pool.ts';
import { StreamClaim } from '../../../../relay/streams/stream-factory.ts';
import { HlsOutputs, type HlsOutputSettings } from '../../../../relay/outputs/hls/hls-outputs.ts';
import { HlsSink } from '../../../../relay/outputs/hls/hls-sink.ts';
import { renderPlaylist } from '../../../../relay/outputs/hls/playlist.ts';
import { h264Baseline, opus, vp8 } from '../../../../relay/sdp/description.ts';
import type { RelayContext } from '../../../../relay/context.ts';
import { FakeJanus } from '../../fakes/fake-janus.ts';
import { fakeFfmpeg, fixtureInit } from '../../fakes/fake-ffmpeg.ts';
import { recordedWebhooks } from '../../fakes/recorded-webhooks.ts';

setLogLevel('error');

const settings: HlsOutputSettings = {
  segmentSeconds: 1, partSeconds: 0.2, listSize: 8, autoStart: false, idleStopMs: 60_000, endedLingerMs: 60_000,
  firstPartTimeoutMs: 1000, encoder: { x264Preset: 'superfast', x264Crf: 23, audioKbps: 96 },
};

async function setup(overrides: Partial<HlsOutputSettings> = {}, video = h264Baseline(102)) {
  const registry = new StreamRegistry();
  const teePorts = new UdpPortPool({ from: 51000, to: 51999 }, 65536);
  const ctx = { registry, teePorts, log: new Logger(), janus: new FakeJanus(), webhooks: recordedWebhooks() } as unknown as RelayContext;
  const { spawn, made } = fakeFfmpeg('packager');
  const hls = new HlsOutputs(ctx, { ...settings, ...overrides }, spawn);
  const stream = await StreamClaim.take({ ...ctx, janus: new FakeJanus() } as never, 's')!.open({
    mediaSessionId: 'm', origin: 'pull', kinds: ['audio', 'video'], codecs: { video, audio: opus(111) } });
  stream.setSourceRtcp(59999);
  return { registry, teePorts, hls, stream, made, webhooks: ctx.webhooks as ReturnType<typeof recordedWebhooks> };
}

describe('HLS output', () => {
  it('the first request starts the packager; the first part is the first keyframe; the tee feeds the packager', async () => {
    const { hls, stream, made, teePorts, webhooks } = await setup();
    const sink = (await hls.forRequest('s', 'viewer-1'))!;
    expect(sink.state).toBe('starting');
    expect(made).toHaveLength(1);
    expect(made[0]!.plan.ports.audio).toBeTypeOf('number');
    expect(made[0]!.transcodes).toBe(false); // H.264: passed through
    expect(stream.tee.sinkCount).toBe(2);
    expect(stream.tee.keyframeRequests).toBe(1);
    const first = sink.window.waitFor(0, 0, 1000);
    made[0]!.emit('init', fixtureInit);
    made[0]!.write(1, 3, false); // no keyframe yet: skipped
    expect(sink.window.lastPart).toBeUndefined();
    made[0]!.write(3, 6, false);
    await expect(first).resolves.toBe(true);
    expect(sink.state).toBe('running');
    expect(sink.window.segments[0]!.parts[0]!.independent).toBe(true);
    expect(hls.viewers('s')).toBe(1);
    hls.count(sink, 'parts', 1000, 'viewer-1');
    hls.count(sink, 'parts', 500, 'a client that never asked for the playlist');
    await hls.closeAll();
    expect(webhooks.emitted.map((e) => [e.type, e.stream, e.data])).toEqual([
      ['play.started', 's', { protocol: 'hls', sessionId: expect.stringMatching(/^hls-/) }],
      ['play.stopped', 's', { protocol: 'hls', sessionId: webhooks.of('play.started')[0]!.data.sessionId, bytes: 1000, durationMs: expect.any(Number), reason: 'relay shutting down' }],
    ]);
    expect(made[0]!.stopped).toBe(true);
    expect(teePorts.size).toBe(2); // only the stream's own ingress pairs
  });

  it('asks the source for a keyframe shortly before each segment is due (H.264 passed through)', async () => {
    const { hls, stream, made } = await setup();
    await hls.forRequest('s', 'v');
    made[0]!.write(0, 3);
    const before = stream.tee.keyframeRequests;
    await new Promise((r) => setTimeout(r, 260)); // the tee lets one PLI through per 250 ms
    made[0]!.write(3, 14, false);
    expect(stream.tee.keyframeRequests).toBeGreaterThan(before);
    await hls.closeAll();
  });

  it('VP8 is transcoded; no keyframe requests per segment (x264 makes them)', async () => {
    const { hls, made } = await setup({}, vp8(96));
    await hls.forRequest('s', 'v');
    expect(made[0]!.transcodes).toBe(true);
    await hls.closeAll();
  });

  it('a source reconnect restarts the packager on the same timeline: EXT-X-DISCONTINUITY, the same URL plays on', async () => {
    const { hls, stream, made } = await setup();
    const sink = (await hls.forRequest('s', 'v'))!;
    made[0]!.write(0, 6);
    const states: string[] = [];
    sink.on('state', (s) => states.push(s));
    await stream.useCodecs({ video: h264Baseline(102), audio: opus(111) }); // what a pull does on each answer
    await vi.waitFor(() => expect(made).toHaveLength(2));
    expect(made[0]!.stopped).toBe(true);
    expect(made[1]!.plan.timeOffset).toBeCloseTo(1.024, 3);
    made[1]!.write(0, 4);
    expect(states).toEqual(['restarting', 'running']);
    expect(sink.restarts).toBe(1);
    const text = renderPlaylist(sink.window);
    expect(text).toContain('#EXT-X-DISCONTINUITY\n');
    expect(text).toContain(`init-${sink.window.id}-2.mp4`);
    await hls.closeAll();
  });

  it('two reconnects in a row while the old packager is still stopping: exactly one packager runs', async () => {
    const { hls, stream, made } = await setup();
    const sink = (await hls.forRequest('s', 'v'))!;
    made[0]!.write(0, 4);
    let release!: () => void;
    made[0]!.stop = () => new Promise<void>((r) => { release = () => { made[0]!.stopped = true; r(); }; });
    const codecs = { video: h264Baseline(102), audio: opus(111) };
    const first = stream.useCodecs(codecs);
    const second = stream.useCodecs(codecs);
    await vi.waitFor(() => expect(release).toBeTypeOf('function'));
    await Promise.all([first, second]);
    await new Promise((r) => setTimeout(r, 50)); // the second restart has had every chance to spawn by now
    release();
    await vi.waitFor(() => expect(made.length).toBeGreaterThanOrEqual(2));
    await new Promise((r) => setTimeout(r, 50));
    expect(made.filter((p) => !p.stopped)).toHaveLength(1);
    expect(sink.state).toBe('restarting');
    await hls.closeAll();
  });

  it('a packager that dies is made again after a backoff, and the playlist goes on', async () => {
    const { hls, made } = await setup();
    const sink = (await hls.forRequest('s', 'v'))!;
    made[0]!.write(0, 4);
    made[0]!.exit();
    expect(sink.state).toBe('restarting');
    expect(sink.lastError).toMatch(/boom/);
    await vi.waitFor(() => expect(made).toHaveLength(2), { timeout: 2000 });
    made[1]!.write(0, 4);
    expect(sink.state).toBe('running');
    await hls.closeAll();
  });

  it('on fake timers: packager restarts wait the backoff of the crashes in a row, from 500 ms again after a part; close drops a pending one', async () => {
    const { hls, made } = await setup();
    const sink = (await hls.forRequest('s', 'v'))!;
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(1); // no jitter: the longest delay of each step
    try {
      const crashAndWait = async (ms: number) => {
        made.at(-1)!.exit();
        expect(sink.state).toBe('restarting');
        const before = made.length;
        await vi.advanceTimersByTimeAsync(ms - 1);
        expect(made).toHaveLength(before);
        await vi.advanceTimersByTimeAsync(1);
        await vi.waitFor(() => expect(made).toHaveLength(before + 1));
      };
      await crashAndWait(500);
      await crashAndWait(1000);
      made.at(-1)!.write(0, 4);
      expect([sink.state, sink.restarts]).toEqual(['running', 2]);
      await crashAndWait(500);
      made.at(-1)!.exit();
      await sink.close('test over');
      await vi.advanceTimersByTimeAsync(60_000);
      expect([sink.state, made.length]).toEqual(['stopped', 4]);
    } finally {
      vi.useRealTimers();
      vi.restoreAllMocks();
      await hls.closeAll();
    }
  });

  it('the stream ends: EXT-X-ENDLIST, the packager stops, and after the linger the name answers nothing', async () => {
    const { hls, stream, made, teePorts } = await setup({ endedLingerMs: 100 });
    const sink = (await hls.forRequest('s', 'v'))!;
    made[0]!.write(0, 4);
    await stream.close({ status: 'UNPUBLISHED', info: 'publisher left' });
    expect(sink.state).toBe('stopped');
    expect(made[0]!.stopped).toBe(true);
    expect(renderPlaylist(sink.window).trim().split('\n').at(-1)).toBe('#EXT-X-ENDLIST');
    expect(hls.get('s')).toBe(sink);
    await vi.waitFor(() => expect(hls.get('s')).toBeUndefined(), { timeout: 2000 });
    expect(teePorts.size).toBe(0);
    await hls.closeAll();
  });

  it('stops when nobody asked for the idle time, and a later request starts it again', async () => {
    const { hls, made, stream } = await setup({ idleStopMs: 100 });
    const sink = (await hls.forRequest('s', 'v'))!;
    await vi.waitFor(() => expect(sink.state).toBe('stopped'), { timeout: 2000 });
    expect(made[0]!.stopped).toBe(true);
    expect(stream.sinks.has(sink)).toBe(false);
    const again = (await hls.forRequest('s', 'v'))!;
    expect(again).not.toBe(sink);
    expect(made).toHaveLength(2);
    await hls.closeAll();
  });

  it('a stream that ends while its output opens (a request racing the publisher leaving): nothing starts or stays', async () => {
    const { stream, made, teePorts } = await setup();
    const sink = new HlsSink(stream, { log: new Logger(), teePorts, spawn: fakeFfmpeg('packager').spawn, settings });
    const opening = sink.open();
    await stream.close({ status: 'UNPUBLISHED', info: 'publisher left' });
    await opening;
    expect([sink.state, sink.window.ended, made.length, teePorts.size, stream.sinks.has(sink)]).toEqual(['stopped', true, 0, 0, false]);
  });

  it('auto start packages every stream from its start; an unknown name gets nothing', async () => {
    const registry = new StreamRegistry();
    const teePorts = new UdpPortPool({ from: 52000, to: 52999 }, 65536);
    const ctx = { registry, teePorts, log: new Logger(), janus: new FakeJanus(), webhooks: recordedWebhooks() } as unknown as RelayContext;
    const { spawn, made } = fakeFfmpeg('packager');
    const hls = new HlsOutputs(ctx, { ...settings, autoStart: true }, spawn);
    await StreamClaim.take(ctx as never, 'auto')!.open({ mediaSessionId: 'm', origin: 'test', kinds: ['video'], codecs: { video: vp8(96) } });
    await vi.waitFor(() => expect(made).toHaveLength(1));
    expect(hls.get('auto')?.state).toBe('starting');
    expect(await hls.forRequest('nope', 'v')).toBeUndefined();
    await hls.closeAll();
  });
});
