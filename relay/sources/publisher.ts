/**
 * A WCS client publishing a stream: its offer goes through a NoSIP session whose plain RTP lands on
 * the stream's tee, which feeds the mountpoint and the players.
 */
import { MediaSession, MediaSessionError } from '../wcs/media-session.ts';
import { Stream, type StreamCodecs, type StreamEnd } from '../streams/stream.ts';
import { NosipLeg } from '../janus/nosip.ts';
import { Tee } from '../media/tee.ts';
import { UdpPair } from '../media/udp-pair.ts';
import { parseSdp, pickAudioCodec, pickVideoCodec, plainSdp, type Codec, type MediaKind } from '../sdp/session.ts';
import { Info } from '../wcs/status.ts';

export class Publisher extends MediaSession {
  stream: Stream | undefined;
  /** True while this publisher holds the name claim itself (before its Stream takes it over). */
  private ownsName = false;

  claimName(): boolean {
    this.ownsName = this.ctx.registry.claimName(this.name);
    return this.ownsName;
  }

  /** Returns the WebRTC answer for the client's offer; the stream is live in the registry from here on. */
  async start(offer: string): Promise<string> {
    const parsed = parseSdp(offer);
    const codecs: StreamCodecs = {};
    for (const m of parsed.media) {
      if (m.kind === 'video' && m.port !== 0) codecs.video ??= pickVideoCodec(m);
      if (m.kind === 'audio' && m.port !== 0) codecs.audio ??= pickAudioCodec(m);
    }
    if (!codecs.audio && !codecs.video) throw new MediaSessionError(Info.noCommonCodecs);

    const ingress: Partial<Record<MediaKind, UdpPair>> = {};
    for (const kind of ['audio', 'video'] as const) {
      if (!codecs[kind]) continue;
      ingress[kind] = await UdpPair.bind(this.ctx.teePorts);
      this.pairs.push(ingress[kind]!);
    }
    this.leg = await NosipLeg.open(this.ctx.janus.current, this.log);
    let nosipVideoPort: number | undefined;
    const answer = await this.leg.answer(offer, (plainOffer) => {
      const nosip = parseSdp(plainOffer);
      nosipVideoPort = nosip.media.find((m) => m.kind === 'video')?.port;
      let used = new Set<MediaKind>();
      return plainSdp(nosip.media.map((m) => {
        const kind = m.kind as MediaKind;
        const codec: Codec | undefined = used.has(kind) ? undefined : codecs[kind];
        used = used.add(kind);
        return { kind: m.kind, port: codec ? ingress[kind]!.port : 0, codecs: codec ? [codec] : [] };
      }), 'recvonly');
    });

    if (this.isEnded) throw new MediaSessionError(this.info);
    const tee = new Tee(ingress);
    this.pairs = []; // the tee owns the ingress sockets now
    tee.setSourceRtcp(nosipVideoPort ? nosipVideoPort + 1 : undefined);
    const stream = new Stream(this.name, this.id, 'publish', codecs, tee, this.ctx);
    this.stream = stream;
    this.ctx.registry.add(stream);
    this.ownsName = false;
    await stream.openMountpoint();
    this.watchLeg(this.leg, 'PUBLISHING', () => {
      stream.setStatus('PUBLISHING');
      tee.requestKeyframe('publisher up');
    });
    this.log.info('publisher.answered', { codecs: { audio: codecs.audio?.name, video: codecs.video?.name } });
    return answer;
  }

  protected override async release(end: StreamEnd): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (stream) {
      const playersEnd = end.status === 'FAILED' && end.info === Info.mediaServerDown
        ? end : { status: 'STOPPED' as const, info: Info.publisherStop };
      await stream.close(end, playersEnd);
    } else if (this.ownsName) {
      this.ownsName = false;
      this.ctx.registry.releaseName(this.name);
    }
    await super.release(end);
  }
}
