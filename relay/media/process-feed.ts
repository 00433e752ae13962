/**
 * The tee's copy of a stream for a local process that listens on UDP itself (ffmpeg for HLS, RTMP, a recording): a
 * leased port per media kind the stream has, then the tee sinks that send to them. Ports stay leased until
 * `release()`, after the process is gone, so a port it may still hold is never handed out again.
 */
import type { Socket } from 'node:dgram';
import type { Tee } from './tee.ts';
import { UdpPair, type PortLease } from './udp-pair.ts';
import type { UdpPortPool } from './udp-port-pool.ts';
import type { Codec, MediaKind } from '../sdp/description.ts';

type Codecs = Partial<Record<MediaKind, Codec>>;

export class ProcessFeed {
  private unlink: (() => void)[] = [];

  private constructor(readonly ports: Partial<Record<MediaKind, number>>, private readonly leases: PortLease[]) {}

  /** Leases a port for each kind in `codecs`; rejects with nothing held when the pool has none left. */
  static async reserve(pool: UdpPortPool, codecs: Codecs): Promise<ProcessFeed> {
    const leases: PortLease[] = [];
    const ports: Partial<Record<MediaKind, number>> = {};
    try {
      for (const kind of ['audio', 'video'] as const) {
        if (!codecs[kind]) continue;
        const lease = await UdpPair.lease(pool);
        leases.push(lease);
        ports[kind] = lease.port;
      }
    } catch (err) {
      for (const l of leases) l.release();
      throw err;
    }
    return new ProcessFeed(ports, leases);
  }

  /** Starts the tee sending each kind, from `from`, renumbered to the codec's payload type. */
  connect(tee: Tee, from: Socket, codecs: Codecs): void {
    this.unlink = (['audio', 'video'] as const).filter((k) => this.ports[k] && codecs[k])
      .map((kind) => tee.addSink({ kind, from, port: this.ports[kind]!, pt: codecs[kind]!.pt }));
  }

  /** Stops the tee sending (before the process is stopped). */
  disconnect(): void {
    for (const unlink of this.unlink.splice(0)) unlink();
  }

  /** Gives the ports back (once the process is gone). */
  release(): void {
    this.disconnect();
    for (const lease of this.leases.splice(0)) lease.release();
  }
}

/**
 * The one process (with its feed) an output runs at a time, and its end: stop the process, then give its ports
 * back. The HLS packager and the RTMP pusher stop being fed first; a recorder is fed until it is gone (it leaves
 * its read loop on the next packet, see ffmpeg-recorder).
 */
export class FedProcess<P extends { stop(): Promise<void> }> {
  private run: { process: P; feed: Pick<ProcessFeed, 'disconnect' | 'release'> } | undefined;

  constructor(private readonly feedUntilStopped = false) {}

  get process(): P | undefined { return this.run?.process; }

  set(process: P, feed: Pick<ProcessFeed, 'disconnect' | 'release'>): void { this.run = { process, feed }; }

  /** Resolves once the process is gone and its ports are back; at once when none runs. */
  async stop(): Promise<void> {
    const run = this.run;
    this.run = undefined;
    if (!run) return;
    if (!this.feedUntilStopped) run.feed.disconnect();
    await run.process.stop();
    run.feed.release();
  }
}
