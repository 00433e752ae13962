/**
 * A live stream: one ingress (its tee, fed by a publisher, a pull or the test source) and its sinks
 * (outputs): those every stream runs by itself (the Janus mountpoint, made by whoever wires the relay:
 * `StreamDeps.ownSinks`, so this layer never reaches up into outputs/), and those that attach once
 * negotiated (WCS players, HLS, pushes, recordings). The stream starts and restarts its sinks (codecs known, Janus back, codecs changed)
 * and `close()` cascades: every sink ends, an owned source stops, the tee's sockets are released.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../log.ts';
import type { Codec } from '../sdp/description.ts';
import type { Tee } from '../media/tee.ts';
import type { UdpPortPool } from '../media/udp-port-pool.ts';
import type { JanusAccess } from '../janus/supervisor.ts';
import type { StreamStatus } from './status.ts';
import { isRestartable, type RestartableSink, type Sink } from './sink.ts';

export interface StreamCodecs { audio?: Codec; video?: Codec }
export interface StreamEnd { status: StreamStatus; info: string }
export type StreamOrigin = 'publish' | 'pull' | 'test';

export interface StreamEvents {
  status: [StreamStatus];
  closed: [StreamEnd];
}

/** A process or connection feeding the stream that must be gone before the stream's close() resolves. */
export interface StreamSource {
  close(): Promise<void>;
}

/** What a stream needs from the relay. */
export interface StreamDeps {
  log: Logger; janus: JanusAccess; teePorts: UdpPortPool;
  /** The sinks every stream starts by itself (the relay: its Janus mountpoint); none when absent. */
  ownSinks?: (stream: Stream) => RestartableSink[];
}

export class Stream extends EventEmitter<StreamEvents> {
  readonly sinks = new Set<Sink>();
  readonly createdAt = Date.now();
  status: StreamStatus = 'PENDING';
  private closed = false;
  private source: StreamSource | undefined;
  readonly log: Logger;

  constructor(readonly name: string, readonly mediaSessionId: string, readonly origin: StreamOrigin,
    public codecs: StreamCodecs, readonly tee: Tee, private readonly deps: StreamDeps) {
    super();
    this.log = deps.log.child({ stream: name, mediaSessionId });
    for (const sink of deps.ownSinks?.(this) ?? []) this.sinks.add(sink);
    tee.on('keyframeRequest', (reason) => this.log.debug('stream.keyframe_request', { reason }));
    tee.meter.videoCodec = codecs.video?.name;
  }

  get isClosed(): boolean { return this.closed; }

  /** The mountpoint viewers watch, while it runs. */
  get viewerMountpoint(): string | undefined {
    return [...this.sinks].some((s) => s.kind === 'mountpoint' && s.state === 'running') ? this.name : undefined;
  }

  /** Sinks that WCS clients negotiated (the SDK Player). */
  get players(): Sink[] { return [...this.sinks].filter((s) => s.kind === 'wcs-player'); }

  /** The loopback ports the source must send its RTP to. */
  get ingressPorts(): { audio?: number; video?: number } {
    return { audio: this.tee.ingress.audio?.port, video: this.tee.ingress.video?.port };
  }

  /** Where keyframe requests (PLIs) for the source go: its RTCP port on loopback. */
  setSourceRtcp(port: number | undefined): void { this.tee.setSourceRtcp(port); }

  requestKeyframe(reason: string): void { this.tee.requestKeyframe(reason); }

  /** Hands the stream its feeder, so closing the stream waits for it to stop (no orphan process). */
  ownSource(source: StreamSource): void {
    this.source = source;
  }

  attach(sink: Sink): void {
    this.sinks.add(sink);
    if (sink.needs.keyframeOnStart) this.tee.requestKeyframe(`${sink.kind} ${sink.id} attached`);
  }

  detach(sink: Sink): void { this.sinks.delete(sink); }

  /** Starts every sink the stream runs by itself, once the codecs are known and Janus is up; each failure ends that sink only. */
  async startSinks(): Promise<void> {
    if (this.closed || (!this.codecs.audio && !this.codecs.video) || this.deps.janus.state !== 'up') return;
    await Promise.all([...this.sinks].filter(isRestartable).map((s) => s.start().catch((err) =>
      this.log.error('sink.start_failed', { sink: s.kind, err }))));
  }

  /**
   * A pulled stream learns its codecs from each remote answer. Same codecs: keep everything (players
   * and viewers ride through a reconnect). Different ones: each sink hears it (players cannot follow
   * and fail; the mountpoint is made again).
   */
  async useCodecs(codecs: StreamCodecs): Promise<void> {
    const same = (a?: Codec, b?: Codec) => a?.name === b?.name && a?.pt === b?.pt;
    const unchanged = same(this.codecs.audio, codecs.audio) && same(this.codecs.video, codecs.video);
    if (!unchanged) {
      const hadCodecs = !!(this.codecs.audio || this.codecs.video);
      this.codecs = codecs;
      this.tee.meter.videoCodec = codecs.video?.name;
      if (hadCodecs) {
        this.log.warn('stream.codecs_changed', { video: codecs.video?.name, audio: codecs.audio?.name });
        await Promise.all([...this.sinks].map((s) => s.codecsChanged(codecs)));
      }
    }
    for (const sink of [...this.sinks]) sink.sourceStarted?.();
    await this.startSinks();
  }

  /** Janus died with every handle: each sink forgets what it held there. */
  janusLost(): void {
    for (const sink of [...this.sinks]) sink.janusLost();
  }

  setStatus(status: StreamStatus): void {
    if (this.status === status) return;
    this.log.info('stream.status', { from: this.status, to: status });
    this.status = status;
    this.emit('status', status);
  }

  /** Ends the stream and everything it feeds. Sinks hear `sinksEnd` (players: STOPPED by publisher stop, by default). */
  async close(end: StreamEnd, sinksEnd: StreamEnd = end): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.setStatus(end.status);
    const sinks = [...this.sinks];
    this.sinks.clear();
    const sinkEnd = { status: sinksEnd.status === 'PENDING' || sinksEnd.status === 'PUBLISHING' || sinksEnd.status === 'PLAYING'
      ? 'STOPPED' as const : sinksEnd.status, info: sinksEnd.info };
    await Promise.all([...sinks.map((s) => s.streamClosed(sinkEnd)), this.source?.close()]);
    this.tee.close();
    this.log.info('stream.closed', { status: end.status, info: end.info });
    this.emit('closed', end);
  }
}
