/** The playout buffer on fake timers: packets leave `delayMs` after they came, in sequence order, a late one in its place. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PlayoutBuffer } from '../../../relay/media/playout-buffer.ts';
import type { MediaKind } from '../../../relay/sdp/description.ts';

function rtp(seq: number, ssrc = 1): Buffer {
  const b = Buffer.alloc(20);
  b[0] = 0x80;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

describe('PlayoutBuffer', () => {
  let out: [MediaKind, number, number][];
  let buffer: PlayoutBuffer;
  beforeEach(() => {
    vi.useFakeTimers();
    out = [];
    buffer = new PlayoutBuffer((kind, p) => out.push([kind, p.readUInt16BE(2), Date.now()]), { now: () => Date.now() });
  });
  afterEach(() => { buffer.close(); vi.useRealTimers(); });
  const seqs = (kind: MediaKind = 'video') => out.filter(([k]) => k === kind).map(([, s]) => s);

  it('with no delay every packet passes at once, as it came; one that came after a later one is counted late', () => {
    for (const s of [1, 2, 4, 3]) buffer.push('video', rtp(s));
    expect(seqs()).toEqual([1, 2, 4, 3]);
    expect(buffer.tooLate).toBe(1);
  });

  it('holds each packet for the delay and puts a packet repaired within it back in its place', () => {
    buffer.setDelay(150);
    const start = Date.now();
    buffer.push('video', rtp(10));
    vi.advanceTimersByTime(33);
    buffer.push('video', rtp(12)); // 11 lost on the way
    vi.advanceTimersByTime(33);
    buffer.push('video', rtp(13));
    vi.advanceTimersByTime(100);
    expect(seqs()).toEqual([10]); // 10 left at 150 ms; 12 is due at 183
    buffer.push('video', rtp(11)); // the retransmission, 133 ms after 12 came
    vi.advanceTimersByTime(200);
    expect(seqs()).toEqual([10, 11, 12, 13]);
    const at = out.map(([, , t]) => t - start);
    expect(at[0]).toBeGreaterThanOrEqual(150);
    expect(at[1]).toBe(at[2]); // the late one went with the packet it precedes, not after it
    expect(at[3]! - at[2]!).toBeGreaterThanOrEqual(30); // pacing kept
  });

  it('a packet later than the delay is passed on at once and counted; a duplicate of a held packet is dropped', () => {
    buffer.setDelay(50);
    buffer.push('audio', rtp(1));
    buffer.push('audio', rtp(3));
    buffer.push('audio', rtp(3));
    vi.advanceTimersByTime(60);
    expect(seqs('audio')).toEqual([1, 3]);
    buffer.push('audio', rtp(2));
    expect(seqs('audio')).toEqual([1, 3, 2]);
    expect(buffer.tooLate).toBe(1);
  });

  it('keeps order across the 16-bit wrap, per kind, and a new sequence (a restarted source) is not taken for a late packet', () => {
    buffer.setDelay(20);
    for (const s of [65534, 0, 65535]) buffer.push('video', rtp(s));
    buffer.push('audio', rtp(7));
    vi.advanceTimersByTime(30);
    expect(seqs()).toEqual([65534, 65535, 0]);
    expect(seqs('audio')).toEqual([7]);
    buffer.push('video', rtp(30000));
    vi.advanceTimersByTime(30);
    expect(seqs()).toEqual([65534, 65535, 0, 30000]);
    expect(buffer.tooLate).toBe(0);
  });

  it('a new source (the pull reconnected, new SSRC) flushes what the old one left and is held in order, not taken for late packets', async () => {
    buffer.setDelay(50);
    buffer.push('video', rtp(5000));
    vi.advanceTimersByTime(60);
    buffer.push('video', rtp(4900)); // an old sequence number: late
    expect(buffer.tooLate).toBe(1);
    buffer.push('video', rtp(5001));
    buffer.push('video', rtp(4000, 2)); // the new source, 1000 behind: not late
    buffer.push('video', rtp(4002, 2));
    buffer.push('video', rtp(4001, 2));
    expect(seqs()).toEqual([5000, 4900, 5001]);
    vi.advanceTimersByTime(60);
    expect(seqs()).toEqual([5000, 4900, 5001, 4000, 4001, 4002]);
    expect(buffer.tooLate).toBe(1);
  });

  it('a delay set back to 0 lets everything held go at once, in order', () => {
    buffer.setDelay(500);
    for (const s of [5, 7, 6]) buffer.push('video', rtp(s));
    expect(out).toEqual([]);
    buffer.setDelay(0);
    expect(seqs()).toEqual([5, 6, 7]);
    buffer.push('video', rtp(8));
    expect(seqs()).toEqual([5, 6, 7, 8]);
  });
});
