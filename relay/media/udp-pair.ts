/**
 * An RTP/RTCP socket pair on 127.0.0.1 (ports P and P+1). NoSIP connect()s its sockets to the address
 * we declare, so we must send *from* these exact ports, and P+1 must be bound before media starts or
 * NoSIP closes its RTCP socket for good.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { UdpPortPool } from './udp-port-pool.ts';

export interface PortLease { port: number; release(): void }

export class UdpPair {
  private constructor(readonly port: number, readonly rtp: Socket, readonly rtcp: Socket, private readonly pool: UdpPortPool) {}

  get rtcpPort(): number { return this.port + 1; }

  /** Binds the next free even port of the pool and the odd one after it. */
  static async bind(pool: UdpPortPool): Promise<UdpPair> {
    for (const port of pool.candidates()) {
      const rtp = await bindSocket(port, pool.receiveBufferBytes);
      if (!rtp) continue;
      const rtcp = await bindSocket(port + 1, pool.receiveBufferBytes);
      if (!rtcp) { rtp.close(); continue; }
      pool.taken(port, rtp.getRecvBufferSize());
      return new UdpPair(port, rtp, rtcp, pool);
    }
    return pool.exhausted();
  }

  /**
   * A free pair for a child process to bind (ffmpeg listens on P and P+1): probed by binding it here,
   * then let go while the pool keeps it reserved until `release()`.
   */
  static async lease(pool: UdpPortPool): Promise<PortLease> {
    const pair = await UdpPair.bind(pool);
    pair.closeSockets();
    let released = false;
    return { port: pair.port, release: () => { if (!released) { released = true; pool.released(pair.port); } } };
  }

  close(): void {
    this.closeSockets();
    this.pool.released(this.port);
  }

  private closeSockets(): void {
    for (const s of [this.rtp, this.rtcp]) {
      s.removeAllListeners('message');
      try { s.close(); } catch { /* already closed: nothing left to release */ }
    }
  }
}

function bindSocket(port: number, receiveBufferBytes: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = createSocket({ type: 'udp4', recvBufferSize: receiveBufferBytes });
    s.once('error', () => { s.close(); resolve(undefined); });
    s.bind(port, '127.0.0.1', () => {
      s.removeAllListeners('error');
      // A send to a port nobody listens on yet raises ICMP errors here; they are not fatal for a relay.
      s.on('error', () => undefined);
      resolve(s);
    });
  });
}
