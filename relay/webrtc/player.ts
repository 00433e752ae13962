/**
 * A WCS client playing a stream (the SDK Player), or a WHEP viewer: it offers recvonly and gets the stream one of
 * two ways (`siphon.player_fanout`):
 *  - from the stream's Janus mountpoint, which answers its offer (relay/janus/mountpoint-viewer.ts): the same fan-out
 *    as the viewer page, one copy from Node for every viewer; its PLIs reach the source through the mountpoint;
 *  - through a NoSIP leg of its own, fed by the tee from this player's own sockets, renumbered to the payload types it
 *    offered; its PLIs arrive on our RTCP socket. Used with `tee`, and while the stream's mountpoint is down.
 * Its leg coming up is `play.started`; its end, once started, `play.stopped` with the bytes it was sent.
 */
import { MediaSession, MediaSessionError, type MediaClient } from './media-session.ts';
import type { RelayContext } from '../context.ts';
import type { Stream, StreamEnd } from '../streams/stream.ts';
import type { Sink, SinkEnd, SinkNeeds, SinkState } from '../streams/sink.ts';
import { NosipLeg } from '../janus/nosip.ts';
import { MountpointCannotAnswerError, MountpointViewerLeg } from '../janus/mountpoint-viewer.ts';
import type { JanusApi } from '../janus/client.ts';
import { UdpPair } from '../media/udp-pair.ts';
import type { TeeSink } from '../media/tee.ts';
import { matchCodec, parseSdp, plainSdp, unifyMsid, type Codec, type MediaKind, type MediaSection } from '../sdp/description.ts';
import { Info } from '../streams/status.ts';

/** Janus connections whose Streaming plugin cannot answer a viewer (not built by setup): players get NoSIP legs there. */
const cannotAnswer = new WeakSet<JanusApi>();

/** What the player chose from its offer: a codec of the stream's for each m-line it takes. */
type Chosen = Map<MediaSection, Codec>;

/** Bytes Janus sent on a leg, from handle_info (`info.webrtc.media[*].out_stats.bytes`). */
function bytesSent(info: unknown): number | null {
  const media = (info as { webrtc?: { media?: Record<string, { out_stats?: { bytes?: number } }> } }).webrtc?.media;
  if (!media) return null;
  return Object.values(media).reduce((n, m) => n + (m.out_stats?.bytes ?? 0), 0);
}

export class Player extends MediaSession implements Sink {
  readonly kind = 'wcs-player';
  needs: SinkNeeds = { kinds: [], keyframeOnStart: false }; // it asks for a keyframe once its leg is up
  private stream: Stream | undefined;
  private removeSinks: (() => void)[] = [];
  /** What the tee sends this player (it counts each one's bytes); none when it watches the mountpoint. */
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
    const chosen: Chosen = new Map();
    const kindsUsed = new Set<MediaKind>();
    for (const m of parsed.media) {
      const kind = m.kind as MediaKind;
      const source = stream.codecs[kind];
      if (!source || kindsUsed.has(kind) || m.port === 0) continue;
      const match = matchCodec(m, source);
      if (match) { chosen.set(m, match); kindsUsed.add(kind); }
    }
    if (chosen.size === 0) throw new MediaSessionError(Info.noCommonCodecs);

    const mountpoint = this.ctx.config.playerFanout === 'mountpoint' && !cannotAnswer.has(this.ctx.janus.current)
      ? stream.viewerMountpoint : undefined;
    const watched = mountpoint !== undefined ? await this.watchMountpoint(mountpoint, offer) : undefined;
    const { answer, wire } = watched !== undefined
      ? { answer: watched, wire: () => undefined }
      : await this.openTeeLeg(stream, offer, parsed.media, chosen, kindsUsed);

    if (stream.isClosed) throw new MediaSessionError(Info.notFound);
    this.stream = stream;
    this.needs = { kinds: [...kindsUsed], keyframeOnStart: false };
    stream.attach(this);
    wire();
    this.watchLeg(this.leg!, 'PLAYING', () => {
      stream.tee.requestKeyframe(`player ${this.id} up`);
      this.playingSince = Date.now();
      this.ctx.webhooks.emit('play.started', this.name, { protocol: this.protocol, sessionId: this.id });
    });
    this.log.info('player.answered', { codecs: [...chosen.values()].map((c) => `${c.name}/${c.pt}`), via: mountpoint !== undefined ? 'mountpoint' : 'tee' });
    return unifyMsid(answer, `siphon-${this.id.replace(/[^A-Za-z0-9-]/g, '').slice(0, 32) || 'stream'}`);
  }

  /**
   * The stream's mountpoint answers the offer and sends this player its fan-out. Undefined when it cannot: the player
   * then gets a NoSIP leg, as it does while the mountpoint is down.
   */
  private async watchMountpoint(mountpoint: string, offer: string): Promise<string | undefined> {
    const janus = this.ctx.janus.current;
    const leg = this.leg = await MountpointViewerLeg.open(janus, this.log);
    try {
      const answer = await leg.watch(mountpoint, offer);
      this.reanswer = (again) => leg.reoffer(again);
      return answer;
    } catch (err) {
      this.leg = undefined;
      await leg.close();
      if (err instanceof MountpointCannotAnswerError) {
        cannotAnswer.add(janus);
        this.log.warn('player.mountpoint_cannot_answer', { err, fix: 'use the Janus setup builds (npm run doctor -- --install); until then every player gets a NoSIP leg' });
      } else {
        this.log.warn('player.mountpoint_watch_failed', { mountpoint, err });
      }
      return undefined;
    }
  }

  /** A NoSIP leg of this player's own; `wire` links the tee's copies to it once the player is attached. */
  private async openTeeLeg(stream: Stream, offer: string, offered: MediaSection[], chosen: Chosen, kindsUsed: Set<MediaKind>):
    Promise<{ answer: string; wire: () => void }> {
    const pairs = new Map<MediaKind, UdpPair>();
    for (const kind of kindsUsed) {
      const pair = await UdpPair.bind(this.ctx.teePorts);
      pairs.set(kind, pair);
      this.pairs.push(pair);
    }
    const leg = this.leg = await NosipLeg.open(this.ctx.janus.current, this.log);
    const nosipPorts = new Map<MediaKind, number>();
    let plain = '';
    const answer = await leg.answer(offer, (plainOffer) => {
      const nosip = parseSdp(plainOffer);
      return plain = plainSdp(nosip.media.map((m, i) => {
        const codec = chosen.get(offered[i]!);
        const kind = m.kind as MediaKind;
        if (codec) nosipPorts.set(kind, m.port);
        return { kind: m.kind, port: codec ? pairs.get(kind)!.port : 0, codecs: codec ? [codec] : [] };
      }), 'sendonly');
    });
    this.reanswer = (again) => leg.answer(again, () => plain);
    const wire = () => {
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
    };
    return { answer, wire };
  }

  streamEvent(type: string, payload: unknown): void {
    if (!this.isEnded) this.client.streamEvent(type, payload);
  }

  /** What this player was sent: the tee's count, or Janus's for a mountpoint viewer (null if Janus cannot say). */
  private async bytes(): Promise<number | null> {
    if (this.teeSinks.length > 0) return this.teeSinks.reduce((n, s) => n + (s.bytes ?? 0), 0);
    const leg = this.leg;
    if (!leg) return null;
    try {
      return bytesSent(await this.ctx.janus.handleInfo(leg.sessionId, leg.id));
    } catch (err) {
      this.log.debug('player.bytes_unknown', { err });
      return null;
    }
  }

  protected override async release(end: StreamEnd): Promise<void> {
    if (this.playingSince !== undefined) {
      const since = this.playingSince;
      this.playingSince = undefined;
      this.ctx.webhooks.emit('play.stopped', this.name,
        { protocol: this.protocol, sessionId: this.id, bytes: await this.bytes(), durationMs: Date.now() - since, reason: end.info || end.status });
    }
    for (const remove of this.removeSinks) remove();
    this.removeSinks = [];
    this.stream?.detach(this);
    this.stream = undefined;
    await super.release(end);
  }
}
