/**
 * The tee copies a stream's plain RTP from its source (a NoSIP leg, or a local test source) to every
 * sink: the Streaming mountpoint and each WCS player's NoSIP leg. It rewrites the payload-type byte
 * where a sink negotiated another number, and turns sinks' keyframe requests into one PLI upstream.
 * Between source and sinks sits the stream's playout buffer (playout-buffer.ts): off unless a pull across a
 * lossy link sets a delay, so that repaired packets reach every sink in order.
 * JavaScript only copies datagrams here; it never touches media crypto.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:dgram';
import type { MediaKind } from '../sdp/description.ts';
import type { UdpPair } from './udp-pair.ts';
import { hasKeyframeRequest, pli, rtpPayloadType, rtpSsrc, withPayloadType } from './rtcp.ts';
import { RtpLoss } from './rtp-loss.ts';
import { PlayoutBuffer } from './playout-buffer.ts';
import { MediaMeter } from './media-meter.ts';

export interface TeeSink {
  kind: MediaKind;
  /** The socket the sink expects packets from (NoSIP drops other sources). */
  from: Socket;
  port: number;
  /** `from` is connected to the sink's port (a socket of its own): a send skips Node's per-packet address lookup. */
  connected?: boolean;
  pt: number;
  /** Bytes sent to this sink so far (the tee counts them). */
  bytes?: number;
}

export interface TeeEvents {
  keyframeRequest: [reason: string];
  firstRtp: [];
  /** No RTP for the watched interval (see watchForStall). */
  stalled: [silentMs: number];
}

const KEYFRAME_REQUEST_MIN_INTERVAL_MS = 100;
const LOOPBACK = '127.0.0.1';
const RELAY_SSRC = 0x51fa0001;
const STALL_CHECK_MS = 1000;

export class Tee extends EventEmitter<TeeEvents> {
  private readonly sinks = new Set<TeeSink>();
  /** Where PLIs for the source go: NoSIP's video RTCP port (its RTP port + 1). */
  private sourceVideoRtcpPort: number | undefined;
  private lastKeyframeRequestAt = 0;
  private deferredKeyframe: NodeJS.Timeout | undefined;
  private videoSsrc = 0;
  bytesIn = 0;
  bytesOut = 0;
  packetsIn = 0;
  lastRtpAt = 0;
  keyframeRequests = 0;
  /** Bitrates, frame rate, keyframes of what comes in (WCS's stream metrics). */
  readonly meter = new MediaMeter();
  private readonly loss: Record<MediaKind, RtpLoss> = { audio: new RtpLoss(), video: new RtpLoss() };
  private stallTimer: NodeJS.Timeout | undefined;
  readonly playout = new PlayoutBuffer((kind, packet) => this.deliver(kind, packet));

  constructor(readonly ingress: Partial<Record<MediaKind, UdpPair>>) {
    super();
    for (const kind of ['audio', 'video'] as const) {
      ingress[kind]?.rtp.on('message', (packet) => this.forward(kind, packet));
    }
  }

  setSourceRtcp(videoRtcpPort: number | undefined): void {
    this.sourceVideoRtcpPort = videoRtcpPort;
  }

  addSink(sink: TeeSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  /** Watch a sink's RTCP socket for PLI/FIR and pass them upstream. */
  listenForKeyframeRequests(rtcp: Socket, who: string): void {
    rtcp.on('message', (packet) => {
      if (hasKeyframeRequest(packet)) this.requestKeyframe(who);
    });
  }

  /**
   * At most one PLI per interval, but a request inside the interval is sent at its end, not dropped: a
   * viewer whose leg comes up just after another one asked must still get its keyframe (else it waits
   * for the next request that passes, ~1 s later through Janus's own throttle).
   */
  requestKeyframe(reason: string): void {
    if (this.sourceVideoRtcpPort === undefined || !this.ingress.video) return;
    if (this.deferredKeyframe) return;
    const wait = this.lastKeyframeRequestAt + KEYFRAME_REQUEST_MIN_INTERVAL_MS - Date.now();
    if (wait <= 0) return this.sendKeyframeRequest(reason);
    this.deferredKeyframe = setTimeout(() => {
      this.deferredKeyframe = undefined;
      this.sendKeyframeRequest(reason);
    }, wait);
  }

  private sendKeyframeRequest(reason: string): void {
    if (this.sourceVideoRtcpPort === undefined || !this.ingress.video) return;
    this.lastKeyframeRequestAt = Date.now();
    this.keyframeRequests += 1;
    this.ingress.video.rtcp.send(pli(RELAY_SSRC, this.videoSsrc), this.sourceVideoRtcpPort, LOOPBACK);
    this.emit('keyframeRequest', reason);
  }

  get sinkCount(): number { return this.sinks.size; }

  /** Emits `stalled` once when no RTP has come for `silenceMs` from now on; a per-stream check, not per packet. */
  watchForStall(silenceMs: number): void {
    this.stopStallWatch();
    const since = Date.now();
    this.stallTimer = setInterval(() => {
      const silent = Date.now() - Math.max(this.lastRtpAt, since);
      if (silent <= silenceMs) return;
      this.stopStallWatch();
      this.emit('stalled', silent);
    }, Math.min(STALL_CHECK_MS, silenceMs));
  }

  stopStallWatch(): void {
    clearInterval(this.stallTimer);
    this.stallTimer = undefined;
  }

  private forward(kind: MediaKind, packet: Buffer): void {
    const pt = rtpPayloadType(packet);
    if (pt === undefined) return;
    if (this.lastRtpAt === 0) this.emit('firstRtp');
    this.lastRtpAt = Date.now();
    this.meter.add(kind, packet, this.lastRtpAt);
    this.packetsIn += 1;
    this.bytesIn += packet.length;
    const ssrc = rtpSsrc(packet)!; // rtpPayloadType has checked the header is there
    if (kind === 'video') this.videoSsrc = ssrc;
    this.loss[kind].add(packet.readUInt16BE(2), ssrc);
    this.playout.push(kind, packet);
  }

  private deliver(kind: MediaKind, packet: Buffer): void {
    const pt = packet[1]! & 0x7f;
    for (const sink of this.sinks) {
      if (sink.kind !== kind) continue;
      const out = sink.pt === pt ? packet : withPayloadType(packet, sink.pt);
      if (sink.connected) sink.from.send(out);
      else sink.from.send(out, sink.port, LOOPBACK);
      this.bytesOut += out.length;
      sink.bytes = (sink.bytes ?? 0) + out.length;
    }
  }

  /** RTP packets the source's sequence numbers say were sent and never reached the tee (audio and video). */
  get packetsLost(): number { return this.loss.audio.lost + this.loss.video.lost; }

  /** One kind's packets lost on the way in. */
  lostOf(kind: MediaKind): number { return this.loss[kind].lost; }

  /** RTP packets the source's sequence numbers say were sent (audio and video). */
  get packetsExpected(): number { return this.loss.audio.expected + this.loss.video.expected; }
  /** Packets that reached the playout buffer after later ones had left it (a repair that came too late). */
  get packetsLate(): number { return this.playout.tooLate; }

  close(): void {
    this.stopStallWatch();
    this.playout.close();
    clearTimeout(this.deferredKeyframe);
    this.deferredKeyframe = undefined;
    this.sinks.clear();
    for (const pair of Object.values(this.ingress)) pair?.close();
    this.removeAllListeners();
  }
}
