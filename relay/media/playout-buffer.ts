/**
 * A stream's playout buffer. A pull across a lossy link gets its lost packets back from the origin one NACK
 * round trip late; a viewer of the relay does not know that round trip (its own to the relay is ~1 ms), so
 * its jitter buffer does not wait for them and every repaired frame shows as a freeze, every repaired Opus
 * packet as concealment. Holding each packet `delayMs` after it arrives, and letting packets leave in
 * sequence order, puts a repaired packet back in its place before anyone downstream sees the gap: every
 * output (viewers, WHEP, HLS, pushes, recordings) then gets a complete, evenly paced stream, delayed by
 * `delayMs`. With 0 (a clean pull, a local source) packets pass straight through. Audio and video share the
 * delay, so lip sync is kept.
 */
import type { MediaKind } from '../sdp/description.ts';

interface Held { seq: number; releaseAt: number; packet: Buffer }

export interface PlayoutClock { now(): number }

/** A sequence number this far from the last one released is a new source (restart, new SSRC), not a late packet. */
const NEW_SEQUENCE = 3000;
/** Packets due within this many ms leave together: one timer per batch, not per packet. */
const BATCH_MS = 4;

/** a comes after b in 16-bit sequence space. */
const after = (a: number, b: number) => a !== b && ((a - b) & 0xffff) < 0x8000;

export class PlayoutBuffer {
  delayMs = 0;
  /** Packets that came after later ones had already left: passed on at once, out of order. */
  tooLate = 0;
  private readonly queues: Record<MediaKind, Held[]> = { audio: [], video: [] };
  private readonly lastReleased: Partial<Record<MediaKind, number>> = {};
  private readonly ssrc: Partial<Record<MediaKind, number>> = {};
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(private readonly deliver: (kind: MediaKind, packet: Buffer) => void,
    private readonly clock: PlayoutClock = { now: () => performance.now() }) {}

  /** A new delay applies to packets from now on; 0 lets everything held go at once. */
  setDelay(ms: number): void {
    this.delayMs = Math.max(0, Math.round(ms));
    if (this.delayMs === 0) this.flush();
  }

  push(kind: MediaKind, packet: Buffer): void {
    if (packet.length < 12) return;
    const seq = packet.readUInt16BE(2);
    const queue = this.queues[kind];
    const ssrc = packet.readUInt32BE(8);
    if (ssrc !== this.ssrc[kind]) {
      // A new source (the pull reconnected): its numbers say nothing about the old one's, so what the old one left
      // held goes now, and the new one starts afresh instead of looking late.
      this.ssrc[kind] = ssrc;
      for (const held of queue.splice(0)) this.deliver(kind, held.packet);
      delete this.lastReleased[kind];
    }
    const last = this.lastReleased[kind];
    if (last !== undefined && !after(seq, last) && ((last - seq) & 0xffff) < NEW_SEQUENCE) {
      // Behind what already left: too late to put back in order; the viewer's own jitter buffer may still use it.
      this.tooLate += 1;
      return this.deliver(kind, packet);
    }
    if (this.delayMs === 0 && queue.length === 0) return this.release(kind, seq, packet);
    const releaseAt = this.clock.now() + this.delayMs;
    let i = queue.length;
    while (i > 0 && after(queue[i - 1]!.seq, seq)) i -= 1;
    if (i > 0 && queue[i - 1]!.seq === seq) return; // a duplicate of one still held
    // A late packet leaves just before the one it precedes, never after it: it must not hold the queue up.
    const next = queue[i];
    queue.splice(i, 0, { seq, packet, releaseAt: next ? Math.min(releaseAt, next.releaseAt) : releaseAt });
    this.schedule();
  }

  private release(kind: MediaKind, seq: number, packet: Buffer): void {
    const last = this.lastReleased[kind];
    if (last === undefined || after(seq, last) || ((last - seq) & 0xffff) >= NEW_SEQUENCE) this.lastReleased[kind] = seq;
    this.deliver(kind, packet);
  }

  private releaseDue(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    for (const kind of ['audio', 'video'] as const) {
      const queue = this.queues[kind];
      while (queue.length > 0 && queue[0]!.releaseAt <= now) {
        const held = queue.shift()!;
        this.release(kind, held.seq, held.packet);
      }
    }
    this.schedule();
  }

  private schedule(): void {
    const next = Math.min(this.queues.audio[0]?.releaseAt ?? Infinity, this.queues.video[0]?.releaseAt ?? Infinity);
    if (next === Infinity || next >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => this.releaseDue(), Math.max(BATCH_MS, next - this.clock.now()));
  }

  /** Everything held leaves now, in order (the delay dropped to 0, or the stream ends). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    for (const kind of ['audio', 'video'] as const) {
      for (const held of this.queues[kind].splice(0)) this.release(kind, held.seq, held.packet);
    }
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queues.audio.length = 0;
    this.queues.video.length = 0;
  }
}
