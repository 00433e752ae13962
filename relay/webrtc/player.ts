/**
 * A WCS client playing a stream (the SDK Player), or a WHEP viewer: it offers recvonly, a NoSIP session answers, and
 * the tee sends the stream's RTP from this player's own sockets, renumbered to the payload types the
 * player offered. Its PLIs arrive on our RTCP socket and go up to the stream's source. Its leg coming up is
 * `play.started`; its end, once started, `play.stopped` with the bytes the tee sent it.
 */
import { MediaSession, MediaSessionError, type MediaClient } from './media-session.ts';
import type { RelayContext } from '../context.ts';
import type { Stream, StreamEnd } from '../streams/stream.ts';
import type { Sink, SinkEnd, SinkNeeds, SinkState } from '../streams/sink.ts';
import { NosipLeg } from '../janus/nosip.ts';
import { UdpPair } from '../media/udp-pair.ts';
import type { TeeSink } from '../media/tee.ts';
import { matchCodec, parseSdp, plainSdp, unifyMsid, type Codec, type MediaKind, type MediaSection } from '../sdp/description.ts';
import { Info } from '../streams/status.ts';

export class Player extends MediaSession implements Sink {
  readonly kind = 'wcs-player';
  needs: SinkNeeds = { kinds: [], keyframeOnStart: false }; // it asks for a keyframe once its leg is up
  private stream: Stream | undefined;
  private removeSinks: (() => void)[] = [];
  /** What the tee sends this player (it counts each one's bytes). */
  private teeSinks: TeeSink[] = [];
  private playingSince: number | undefined;

  constructor(id: string, name: string, ctx: RelayContext, client: MediaClient, readonly protocol: 'wcs' | 'whep') {
    super(id, name, ctx, client, 'player');
  }

  get state(): SinkState {
    if (this.isEnded) return 'stopped';
    return this.status === 'PLAYING' ? 'running' : 'starting';
  }

  async streamClosed(end: SinkEnd): Promise<void> { this.end(end); }

  janusLost(): void { this.end({ status: 'FAILED', info: Info.mediaServerDown }); }

  async codecsChanged(): Promise<void> { this.end({ status: 'FAILED', info: Info.codecChanged }); }

  async start(stream: Stream, offer: string): Promise<string> {
    if (!stream.codecs.audio && !stream.codecs.video) throw new MediaSessionError(Info.notReady);
    const parsed = parseSdp(offer);
    const chosen = new Map<MediaSection, Codec>();
    const kindsUsed = new Set<MediaKind>();
    for (const m of parsed.media) {
      const kind = m.kind as MediaKind;
      const source = stream.codecs[kind];
      if (!source || kindsUsed.has(kind) || m.port === 0) continue;
      const match = matchCodec(m, source);
      if (match) { chosen.set(m, match); kindsUsed.add(kind); }
    }
    if (chosen.size === 0) throw new MediaSessionError(Info.noCommonCodecs);

    const pairs = new Map<MediaKind, UdpPair>();
    for (const kind of kindsUsed) {
      const pair = await UdpPair.bind(this.ctx.teePorts);
      pairs.set(kind, pair);
      this.pairs.push(pair);
    }
    this.leg = await NosipLeg.open(this.ctx.janus.current, this.log);
    const nosipPorts = new Map<MediaKind, number>();
    const rawAnswer = await this.leg.answer(offer, (plainOffer) => {
      const nosip = parseSdp(plainOffer);
      return this.plainAnswer = plainSdp(nosip.media.map((m, i) => {
        const codec = chosen.get(parsed.media[i]!);
        const kind = m.kind as MediaKind;
        if (codec) nosipPorts.set(kind, m.port);
        return { kind: m.kind, port: codec ? pairs.get(kind)!.port : 0, codecs: codec ? [codec] : [] };
      }), 'sendonly');
    });

    if (stream.isClosed) throw new MediaSessionError(Info.notFound);
    this.stream = stream;
    this.needs = { kinds: [...kindsUsed], keyframeOnStart: false };
    stream.attach(this);
    for (const [m, codec] of chosen) {
      const kind = m.kind as MediaKind;
      const pair = pairs.get(kind)!;
      const port = nosipPorts.get(kind);
      if (port) {
        const sink: TeeSink = { kind, from: pair.rtp, port, pt: codec.pt };
        this.teeSinks.push(sink);
        this.removeSinks.push(stream.tee.addSink(sink));
        // The pair is this sink's alone (one per kind), so its socket can be connected: B13 measured the per-player
        // copy at ≈ 11 µs a packet in Node, part of it the address lookup of an unconnected send.
        pair.rtp.connect(port, '127.0.0.1', () => { sink.connected = true; });
      }
      if (kind === 'video') stream.tee.listenForKeyframeRequests(pair.rtcp, `player ${this.id}`);
    }
    this.watchLeg(this.leg, 'PLAYING', () => {
      stream.tee.requestKeyframe(`player ${this.id} up`);
      this.playingSince = Date.now();
      this.ctx.webhooks.emit('play.started', this.name, { protocol: this.protocol, sessionId: this.id });
    });
    this.log.info('player.answered', { codecs: [...chosen.values()].map((c) => `${c.name}/${c.pt}`) });
    return unifyMsid(rawAnswer, `siphon-${this.id.replace(/[^A-Za-z0-9-]/g, '').slice(0, 32) || 'stream'}`);
  }

  streamEvent(type: string, payload: unknown): void {
    if (!this.isEnded) this.client.streamEvent(type, payload);
  }

  protected override async release(end: StreamEnd): Promise<void> {
    if (this.playingSince !== undefined) {
      const bytes = this.teeSinks.reduce((n, s) => n + (s.bytes ?? 0), 0);
      this.ctx.webhooks.emit('play.stopped', this.name,
        { protocol: this.protocol, sessionId: this.id, bytes, durationMs: Date.now() - this.playingSince, reason: end.info || end.status });
      this.playingSince = undefined;
    }
    for (const remove of this.removeSinks) remove();
    this.removeSinks = [];
    this.stream?.detach(this);
    this.stream = undefined;
    await super.release(end);
  }
}
