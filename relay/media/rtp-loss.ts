/**
 * Packets lost from one kind's RTP sequence, counted as RFC 3550 (appendix A.1, A.3) counts them: expected =
 * extended highest sequence number − base + 1, lost = expected − received. A late packet (a NACKed one
 * retransmitted, or one reordered) only adds to `received`, so it fills its gap instead of opening a new one.
 * A new SSRC, or a jump that two packets in a row confirm, is a new source: its count starts afresh and what the
 * old one lost is kept.
 */

/** Further ahead than this is a jump (a sender that restarted its sequence), not a gap. */
const MAX_DROPOUT = 3000;
/** Up to this far behind the highest sequence number is a late packet; further is a jump backwards. */
const MAX_MISORDER = 100;

export class RtpLoss {
  private ssrc: number | undefined;
  private base = 0;
  private maxSeq = 0;
  /** 65536 × the times the sequence wrapped. */
  private cycles = 0;
  private received = 0;
  /** The sequence number that would confirm a jump (the one after the first packet of the jump). */
  private badSeq: number | undefined;
  /** What earlier sources of this kind were expected to send and lost. */
  private earlier = { expected: 0, lost: 0 };

  add(seq: number, ssrc: number): void {
    if (ssrc !== this.ssrc) return this.restart(seq, ssrc);
    const ahead = (seq - this.maxSeq) & 0xffff;
    // The highest packet again (a sender's or a network's duplicate) would hide a real loss: it is not counted.
    // Janus drops duplicates of NACKed packets before they get here, so older duplicates are rare.
    if (ahead === 0) return;
    if (ahead < MAX_DROPOUT) {
      if (seq < this.maxSeq) this.cycles += 65536;
      this.maxSeq = seq;
    } else if (ahead <= 65536 - MAX_MISORDER) {
      // A single stray packet must not reset the count; a second one right after it proves the jump.
      if (seq === this.badSeq) return this.restart(seq, ssrc);
      this.badSeq = (seq + 1) & 0xffff;
      return;
    }
    this.received += 1;
  }

  /** Packets the sources sent, as their sequence numbers say. */
  get expected(): number { return this.earlier.expected + this.currentExpected; }

  /** Never negative: a duplicate of an older packet, or one from before the first seen, counts as received too. */
  get lost(): number { return this.earlier.lost + Math.max(0, this.currentExpected - this.received); }

  private get currentExpected(): number {
    return this.ssrc === undefined ? 0 : this.cycles + this.maxSeq - this.base + 1;
  }

  private restart(seq: number, ssrc: number): void {
    this.earlier = { expected: this.expected, lost: this.lost };
    this.ssrc = ssrc;
    this.base = seq;
    this.maxSeq = seq;
    this.cycles = 0;
    this.received = 1;
    this.badSeq = undefined;
  }
}
