/** The built-in demo stream: a TestSource feeding a tee, served like any published stream. */
import type { RelayContext } from '../context.ts';
import { TestSource, TEST_AUDIO_PT, TEST_H264_PT, TEST_VIDEO_PT } from './test-source.ts';
import { StreamClaim } from '../streams/stream-factory.ts';
import type { Stream } from '../streams/stream.ts';
import { h264Baseline, opus, vp8 } from '../sdp/description.ts';

export interface TestStream { stream: Stream; source: TestSource }

export async function startTestStream(ctx: RelayContext, name: string): Promise<TestStream> {
  const claim = StreamClaim.take(ctx, name);
  if (!claim) throw new Error(`stream name ${name} is already in use`);
  const stream = await claim.open({ mediaSessionId: `test-${name}`, origin: 'test', kinds: ['video', 'audio'],
    codecs: { video: ctx.config.demoCodec === 'h264' ? h264Baseline(TEST_H264_PT) : vp8(TEST_VIDEO_PT), audio: opus(TEST_AUDIO_PT) } });
  const { video, audio } = stream.tee.ingress;
  const { demoKbps: kbps, demoPattern: pattern, demoSize: size } = ctx.config;
  const codec = ctx.config.demoCodec === 'h264' ? 'h264' : 'vp8';
  const source = new TestSource({ ports: { video: video!.port, audio: audio!.port }, kbps, pattern, size, codec, lastMediaAt: () => stream.tee.lastRtpAt },
    stream.log.child({ component: 'test_source' }));
  stream.ownSource(source);
  source.start();
  stream.setStatus('PUBLISHING');
  await stream.startSinks();
  return { stream, source };
}
