/**
 * A WCS client publishing a stream: its offer goes through a NoSIP session whose plain RTP lands on
 * the stream's tee, which feeds the mountpoint and the players.
 */
import { MediaSession, MediaSessionError } from './media-session.ts';
import type { Stream, StreamCodecs, StreamEnd } from '../streams/stream.ts';
import { StreamClaim } from '../streams/stream-factory.ts';
import { NosipLeg } from '../janus/nosip.ts';
import { parseSdp, pickAudioCodec, pickVideoCodec, plainSdp, videoPreference, type Codec, type MediaKind } from '../sdp/description.ts';
import { Info } from '../streams/status.ts';

export class Publisher extends MediaSession {
  stream: Stream | undefined;
  /** The name, held from publishStream until the Stream is open (or the publish fails). */
  private claim: StreamClaim | undefined;

  claimName(): boolean {
    this.claim = StreamClaim.take(this.ctx, this.name);
    return this.claim !== undefined;
  }

  /** Returns the WebRTC answer for the client's offer; the stream is in the registry from its opening on. */
  async start(offer: string): Promise<string> {
    const codecs = offeredCodecs(offer, videoPreference(this.ctx.config.codecs));
    const kinds = (['audio', 'video'] as const).filter((k) => codecs[k]);
    // Findable by players only once answered, as before: until then a play of this name is "Stream not found".
    const stream = await this.claim!.prepare({ mediaSessionId: this.id, origin: 'publish', kinds });
    this.stream = stream;
    const leg = this.leg = await NosipLeg.open(this.ctx.janus.current, this.log);
    let nosipVideoPort: number | undefined;
    let plain = '';
    const answer = await leg.answer(offer, (plainOffer) => {
      const nosip = parseSdp(plainOffer);
      nosipVideoPort = nosip.media.find((m) => m.kind === 'video')?.port;
      const used = new Set<MediaKind>();
      return plain = plainSdp(nosip.media.map((m) => {
        const kind = m.kind as MediaKind;
        const codec: Codec | undefined = used.has(kind) ? undefined : codecs[kind];
        used.add(kind);
        return { kind: m.kind, port: codec ? stream.ingressPorts[kind]! : 0, codecs: codec ? [codec] : [] };
      }), 'recvonly');
    });

    this.reanswer = (again) => leg.answer(again, () => plain);
    if (this.isEnded) throw new MediaSessionError(this.info);
    stream.setSourceRtcp(nosipVideoPort ? nosipVideoPort + 1 : undefined);
    this.claim!.register(stream);
    await stream.useCodecs(codecs);
    this.watchLeg(this.leg, 'PUBLISHING', () => {
      stream.setStatus('PUBLISHING');
      stream.requestKeyframe('publisher up');
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
    }
    this.claim?.release(); // the name, if no registered stream holds it (a publish that failed before its answer)
    await super.release(end);
  }
}

/** The codec we take of each kind the publisher offers; none in common is the publisher's failure. */
function offeredCodecs(offer: string, prefer: ReturnType<typeof videoPreference>): StreamCodecs {
  const codecs: StreamCodecs = {};
  for (const m of parseSdp(offer).media) {
    if (m.kind === 'video' && m.port !== 0) codecs.video ??= pickVideoCodec(m, prefer);
    if (m.kind === 'audio' && m.port !== 0) codecs.audio ??= pickAudioCodec(m);
  }
  if (!codecs.audio && !codecs.video) throw new MediaSessionError(Info.noCommonCodecs);
  return codecs;
}
