/**
 * The tee's copy of a stream for a local process that listens on UDP itself (ffmpeg for HLS and RTMP): a
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
