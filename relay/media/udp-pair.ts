/**
 * An RTP/RTCP socket pair on 127.0.0.1 (ports P and P+1). NoSIP connect()s its sockets to the address
 * we declare, so we must send *from* these exact ports, and P+1 must be bound before media starts or
 * NoSIP closes its RTCP socket for good.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { Range } from '../janus/config.ts';

export class PortsExhaustedError extends Error {
  override name = 'PortsExhaustedError';
}

export class UdpPair {
  private constructor(readonly port: number, readonly rtp: Socket, readonly rtcp: Socket) {}

  get rtcpPort(): number { return this.port + 1; }

  static async bind(range: Range, inUse: Set<number>): Promise<UdpPair> {
    const first = range.from % 2 === 0 ? range.from : range.from + 1;
    const span = Math.floor((range.to - first) / 2);
    const start = Math.floor(Math.random() * Math.max(span, 1));
    for (let i = 0; i < span; i++) {
      const port = first + ((start + i) % span) * 2;
      if (inUse.has(port)) continue;
      const rtp = await bindSocket(port);
      if (!rtp) continue;
      const rtcp = await bindSocket(port + 1);
      if (!rtcp) { rtp.close(); continue; }
      inUse.add(port);
      const pair = new UdpPair(port, rtp, rtcp);
      pair.release = () => inUse.delete(port);
      return pair;
    }
    throw new PortsExhaustedError(`no free UDP port pair in ${range.from}-${range.to}`);
  }

  private release: () => void = () => undefined;

  close(): void {
    for (const s of [this.rtp, this.rtcp]) {
      s.removeAllListeners('message');
      try { s.close(); } catch { /* already closed: nothing left to release */ }
    }
    this.release();
  }
}

function bindSocket(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => { s.close(); resolve(undefined); });
    s.bind(port, '127.0.0.1', () => {
      s.removeAllListeners('error');
      // A send to a port nobody listens on yet raises ICMP errors here; they are not fatal for a relay.
      s.on('error', () => undefined);
      resolve(s);
    });
  });
}
