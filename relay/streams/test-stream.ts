/** The built-in demo stream: a TestSource feeding a tee, served like any published stream. */
import type { RelayContext } from '../context.ts';
import { Tee } from '../media/tee.ts';
import { UdpPair } from '../media/udp-pair.ts';
import { TestSource, TEST_AUDIO_PT, TEST_VIDEO_PT } from '../media/test-source.ts';
import { Stream } from './stream.ts';
import { opus, vp8 } from '../sdp/session.ts';

export async function startTestStream(ctx: RelayContext, name: string): Promise<Stream> {
  if (!ctx.registry.claimName(name)) throw new Error(`stream name ${name} is already in use`);
  const video = await UdpPair.bind(ctx.teePorts);
  const audio = await UdpPair.bind(ctx.teePorts);
  const tee = new Tee({ video, audio });
  const stream = new Stream(name, `test-${name}`, 'test', { video: vp8(TEST_VIDEO_PT), audio: opus(TEST_AUDIO_PT) }, tee, ctx);
  ctx.registry.add(stream);
  const source = new TestSource({ video: video.port, audio: audio.port }, stream.log, ctx.config.demoKbps, ctx.config.demoPattern, ctx.config.demoSize);
  stream.ownSource(source);
  source.start();
  stream.setStatus('PUBLISHING');
  if (ctx.janus.state === 'up') await stream.openMountpoint();
  return stream;
}
