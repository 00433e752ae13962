/** The built-in demo stream: a TestSource feeding a tee, served like any published stream. */
import type { RelayContext } from '../context.ts';
import { Tee } from '../media/tee.ts';
import { UdpPair } from '../media/udp-pair.ts';
import { TestSource, TEST_AUDIO_PT, TEST_VIDEO_PT } from './test-source.ts';
import { Stream } from '../streams/stream.ts';
import { opus, vp8 } from '../sdp/session.ts';

export interface TestStream { stream: Stream; source: TestSource }

export async function startTestStream(ctx: RelayContext, name: string): Promise<TestStream> {
  if (!ctx.registry.claimName(name)) throw new Error(`stream name ${name} is already in use`);
  const pairs: UdpPair[] = [];
  try {
    pairs.push(await UdpPair.bind(ctx.teePorts), await UdpPair.bind(ctx.teePorts));
  } catch (err) {
    for (const pair of pairs) pair.close();
    ctx.registry.releaseName(name);
    throw err;
  }
  const [video, audio] = pairs as [UdpPair, UdpPair];
  const tee = new Tee({ video, audio });
  const stream = new Stream(name, `test-${name}`, 'test', { video: vp8(TEST_VIDEO_PT), audio: opus(TEST_AUDIO_PT) }, tee, ctx);
  ctx.registry.add(stream);
  const { demoKbps: kbps, demoPattern: pattern, demoSize: size } = ctx.config;
  const source = new TestSource({ ports: { video: video.port, audio: audio.port }, kbps, pattern, size, lastMediaAt: () => tee.lastRtpAt },
    stream.log.child({ component: 'test_source' }));
  stream.ownSource(source);
  source.start();
  stream.setStatus('PUBLISHING');
  if (ctx.janus.state === 'up') await stream.openMountpoint();
  return { stream, source };
}
