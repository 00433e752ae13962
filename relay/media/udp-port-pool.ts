/**
 * The relay's UDP port range for its own RTP sockets (tee ingress, player and mountpoint feeds).
 * It hands out even ports, knows which are bound, and sets each socket's receive buffer: a VP8
 * keyframe arrives as a burst of 100+ packets, more than Linux's default 208 KiB holds while the
 * event loop is busy elsewhere (B3 at 40 pulls: ~700 datagrams/s dropped there).
 */
import type { Logger } from '../log.ts';
import type { PortRange } from '../config.ts';

export class PortsExhaustedError extends Error {
  override name = 'PortsExhaustedError';
}

export class UdpPortPool {
  private readonly inUse = new Set<number>();
  private warnedSmallBuffer = false;

  constructor(readonly range: PortRange, readonly receiveBufferBytes: number, private readonly log?: Logger) {}

  get size(): number { return this.inUse.size; }

  /** Free even ports of the range, starting at a random one so restarts do not reuse ports at once. */
  *candidates(): Generator<number> {
    const first = this.range.from % 2 === 0 ? this.range.from : this.range.from + 1;
    const span = Math.floor((this.range.to - first) / 2);
    const start = Math.floor(Math.random() * Math.max(span, 1));
    for (let i = 0; i < span; i++) {
      const port = first + ((start + i) % span) * 2;
      if (!this.inUse.has(port)) yield port;
    }
  }

  /** Records a bound pair; `granted` is the receive buffer the kernel gave (it doubles, and caps at rmem_max). */
  taken(port: number, granted: number): void {
    this.inUse.add(port);
    if (granted < 2 * this.receiveBufferBytes && !this.warnedSmallBuffer) {
      this.warnedSmallBuffer = true;
      this.log?.warn('udp.receive_buffer_capped', {
        asked: this.receiveBufferBytes, granted,
        hint: `raise net.core.rmem_max to at least ${this.receiveBufferBytes} (sysctl -w net.core.rmem_max=${this.receiveBufferBytes})`,
      });
    }
  }

  released(port: number): void {
    this.inUse.delete(port);
  }

  exhausted(): never {
    throw new PortsExhaustedError(`no free UDP port pair in ${this.range.from}-${this.range.to}`);
  }
}
