/**
 * A live stream: its tee, its Streaming mountpoint (named after the stream) and its WCS players.
 * `close()` cascades: players end, the mountpoint is destroyed, an owned source stops, the tee's sockets
 * are released.
 */
import { EventEmitter } from 'node:events';
import type { RelayContext } from '../context.ts';
import type { Logger } from '../log.ts';
import type { Codec } from '../sdp/session.ts';
import type { Tee } from '../media/tee.ts';
import { UdpPair } from '../media/udp-pair.ts';
import { emptyReceiverReport } from '../media/rtcp.ts';
import { Mountpoint } from '../janus/mountpoint.ts';
import type { JanusHandle } from '../janus/client.ts';
import type { StreamStatus } from '../wcs/status.ts';

export interface StreamCodecs { audio?: Codec; video?: Codec }
export interface StreamEnd { status: StreamStatus; info: string }
export type StreamOrigin = 'publish' | 'pull' | 'test';

export interface StreamEvents {
  closed: [StreamEnd];
}

/** A process or connection feeding the stream that must be gone before the stream's close() resolves. */
export interface StreamSource {
  close(): Promise<void>;
}

/** Something fed by the stream that must end with it (a WCS player). */
export interface StreamMember {
  readonly id: string;
  end(end: StreamEnd): void;
  /** A `sendStreamEvent` of the publisher (data, mute), relayed to players. */
  streamEvent(type: string, payload: unknown): void;
}

export class Stream extends EventEmitter<StreamEvents> {
  readonly members = new Set<StreamMember>();
  readonly createdAt = Date.now();
  status: StreamStatus = 'PENDING';
  private mountpoint: Mountpoint | undefined;
  private mountpointHandle: JanusHandle | undefined;
  private mountpointSink: UdpPair | undefined;
  private removeSinks: (() => void)[] = [];
  private closed = false;
  private source: StreamSource | undefined;
  readonly log: Logger;

  constructor(readonly name: string, readonly mediaSessionId: string, readonly origin: StreamOrigin,
    public codecs: StreamCodecs, readonly tee: Tee, private readonly ctx: RelayContext) {
    super();
    this.log = ctx.log.child({ stream: name, mediaSessionId });
  }

  get isClosed(): boolean { return this.closed; }

  /** Hands the stream its feeder, so closing the stream waits for it to stop (no orphan process). */
  ownSource(source: StreamSource): void {
    this.source = source;
  }

  get viewerMountpoint(): string | undefined { return this.mountpoint?.id; }

  /** Creates the mountpoint, feeds it from the tee and latches its rtcpport so viewer PLIs reach us. */
  async openMountpoint(): Promise<void> {
    const handle = await this.ctx.janus.current.attach('janus.plugin.streaming');
    this.mountpointHandle = handle;
    const mp = await Mountpoint.create(handle, this.ctx.janus.streamingAdminKey, this.name, this.codecs);
    this.mountpoint = mp;
    const sink = await UdpPair.bind(this.ctx.teePorts);
    this.mountpointSink = sink;
    for (const kind of ['audio', 'video'] as const) {
      const codec = this.codecs[kind];
      const port = mp.ports[kind];
      if (codec && port) this.removeSinks.push(this.tee.addSink({ kind, from: sink.rtp, port, pt: codec.pt }));
    }
    if (mp.ports.videoRtcp) {
      this.tee.listenForKeyframeRequests(sink.rtcp, 'viewer');
      sink.rtcp.send(emptyReceiverReport(0x51fa0002), mp.ports.videoRtcp, '127.0.0.1');
    }
    this.log.info('mountpoint.created', { ports: mp.ports });
  }

  /**
   * A pulled stream learns its codecs from each remote answer. Same codecs: keep everything (players
   * and viewers ride through a reconnect). Different ones: players cannot follow, so they fail, and
   * the mountpoint is made again.
   */
  async useCodecs(codecs: StreamCodecs): Promise<void> {
    const same = (a?: Codec, b?: Codec) => a?.name === b?.name && a?.pt === b?.pt;
    const unchanged = same(this.codecs.audio, codecs.audio) && same(this.codecs.video, codecs.video);
    if (!unchanged) {
      const hadCodecs = !!(this.codecs.audio || this.codecs.video);
      this.codecs = codecs;
      if (hadCodecs) {
        this.log.warn('stream.codecs_changed', { video: codecs.video?.name, audio: codecs.audio?.name });
        for (const member of [...this.members]) member.end({ status: 'FAILED', info: 'Failed by error: source codec changed' });
        await this.closeMountpoint();
      }
    }
    if (!this.mountpoint && this.ctx.janus.state === 'up') await this.openMountpoint();
  }

  /** After a Janus restart the old mountpoint is gone with it: forget it without talking to Janus. */
  dropMountpoint(): void {
    for (const remove of this.removeSinks) remove();
    this.removeSinks = [];
    this.mountpointSink?.close();
    this.mountpointSink = undefined;
    this.mountpoint = undefined;
    this.mountpointHandle = undefined;
  }

  async closeMountpoint(): Promise<void> {
    const mp = this.mountpoint;
    const handle = this.mountpointHandle;
    this.dropMountpoint();
    if (mp && handle) {
      await mp.destroy().catch((err) => this.log.warn('mountpoint.destroy_failed', { err }));
      await handle.close(this.log);
      this.log.info('mountpoint.destroyed');
    }
  }

  setStatus(status: StreamStatus): void {
    if (this.status === status) return;
    this.log.info('stream.status', { from: this.status, to: status });
    this.status = status;
  }

  /** Ends the stream and everything it feeds. Players hear `playersEnd` (STOPPED by publisher stop by default). */
  async close(end: StreamEnd, playersEnd: StreamEnd = end): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.setStatus(end.status);
    for (const member of [...this.members]) member.end(playersEnd);
    this.members.clear();
    await Promise.all([this.closeMountpoint(), this.source?.close()]);
    this.tee.close();
    this.log.info('stream.closed', { status: end.status, info: end.info });
    this.emit('closed', end);
  }
}
