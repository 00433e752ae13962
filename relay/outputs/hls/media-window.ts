/**
 * One stream's HLS media in memory: init segments, the sliding window of segments and their parts,
 * discontinuities, and the requests waiting for media that does not exist yet (blocking playlist
 * reload, preload hints). Segments start at a part beginning with a keyframe once the open segment is
 * long enough, or are cut anyway before they would outgrow the target duration. Nothing here touches a
 * file or a process; the packager feeds it, the routes read it.
 */
import { EventEmitter } from 'node:events';

export interface WindowSettings {
  /** Wanted segment duration (s); a keyframe after 70% of it starts the next segment. */
  segmentSeconds: number;
  /** ffmpeg's fragment duration (s): the longest a part should be. */
  partSeconds: number;
  /** Complete segments listed (WCS `hls_list_size`). */
  listSize: number;
}

export interface Part { msn: number; index: number; bytes: Buffer; duration: number; independent: boolean }

export interface Segment {
  msn: number;
  parts: Part[];
  duration: number;
  /** A new init (a restarted packager) begins here. */
  discontinuity: boolean;
  initId: number;
  /** Wall-clock time of the segment's first media (ms since the epoch). */
  programDateTime: number;
  complete: boolean;
  bytes?: Buffer;
}

export interface WindowEvents { changed: [] }

/** Parts are listed for this many target durations behind the live edge (RFC 8216bis 6.2.2 asks ~3). */
const PART_LIST_TARGETS = 3;
/**
 * A keyframe this far into a segment starts the next one. Earlier keyframes (a WebRTC viewer's PLI, a
 * short GOP) stay inside the segment, so segments stay near the target; the HLS sink asks for one later.
 */
export const KEYFRAME_CUT_SHARE = 0.7;
/** Blocking requests asking further ahead than this get 400, as RFC 8216bis 6.2.5.2 says. */
export const MSN_ADVANCE_LIMIT = 2;

export class MediaWindow extends EventEmitter<WindowEvents> {
  readonly inits = new Map<number, Buffer>();
  readonly segments: Segment[] = [];
  /** Discontinuities that have slid out of the window (EXT-X-DISCONTINUITY-SEQUENCE). */
  discontinuitySequence = 0;
  ended = false;
  private initId = 0;
  private nextMsn = 0;
  private pendingDiscontinuity = false;
  /** The first segment after an init ends at the next keyframe, however short (see addPart). */
  private firstSegmentOfRun = false;
  readonly maxSegmentSeconds: number;
  /** Distinguishes this window's media names from an earlier session's of the same stream. */
  readonly id = (Date.now() % 1e9).toString(36) + Math.floor(Math.random() * 1296).toString(36);

  constructor(readonly settings: WindowSettings) {
    super();
    this.setMaxListeners(0);
    // EXTINF rounded to the nearest integer must not exceed EXT-X-TARGETDURATION.
    this.maxSegmentSeconds = Math.max(this.targetDuration + 0.49, settings.segmentSeconds);
  }

  get targetDuration(): number { return Math.max(1, Math.ceil(this.settings.segmentSeconds)); }

  get currentInitId(): number { return this.initId; }

  /** Whether a segment of the current packager's run is complete yet (the sink asks for keyframes until then). */
  get runHasSegment(): boolean { return !this.firstSegmentOfRun; }

  get open(): Segment | undefined {
    const last = this.segments.at(-1);
    return last && !last.complete ? last : undefined;
  }

  /** The last part written, if any. */
  get lastPart(): Part | undefined {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const p = this.segments[i]!.parts.at(-1);
      if (p) return p;
    }
    return undefined;
  }

  /** A (new) packager's init segment; media after it is a discontinuity unless nothing came before. */
  addInit(bytes: Buffer): void {
    this.closeOpenSegment();
    this.initId += 1;
    this.inits.set(this.initId, bytes);
    this.pendingDiscontinuity = this.segments.length > 0;
    this.firstSegmentOfRun = true;
    this.trim();
    this.emit('changed');
  }

  addPart(bytes: Buffer, duration: number, independent: boolean, now = Date.now()): Part {
    if (this.ended) throw new Error('the window has ended');
    if (this.initId === 0) throw new Error('a part before any init segment');
    let open = this.open;
    // Players (hls.js, Safari) start only from a playlist with a complete segment, and start on a segment's
    // independent part: after a (re)start the first segment ends at the second keyframe, which the sink asks
    // for at once, so the first playlist can be answered a fraction of a segment after the first media.
    const cutShare = this.firstSegmentOfRun ? 0 : KEYFRAME_CUT_SHARE;
    if (open && ((independent && open.duration > 0 && open.duration >= this.settings.segmentSeconds * cutShare)
      || open.duration + duration > this.maxSegmentSeconds)) {
      this.closeOpenSegment();
      this.firstSegmentOfRun = false;
      open = undefined;
    }
    if (!open) {
      open = { msn: this.nextMsn++, parts: [], duration: 0, discontinuity: this.pendingDiscontinuity, initId: this.initId,
        programDateTime: now - duration * 1000, complete: false };
      this.pendingDiscontinuity = false;
      this.segments.push(open);
    }
    const part: Part = { msn: open.msn, index: open.parts.length, bytes, duration, independent };
    open.parts.push(part);
    open.duration += duration;
    this.trim();
    this.emit('changed');
    return part;
  }

  /** The stream ended: the open segment completes and the playlist gets EXT-X-ENDLIST. */
  end(): void {
    if (this.ended) return;
    this.closeOpenSegment();
    this.ended = true;
    this.emit('changed');
  }

  segment(msn: number): Segment | undefined {
    const first = this.segments[0];
    return first ? this.segments[msn - first.msn] : undefined;
  }

  part(msn: number, index: number): Part | undefined { return this.segment(msn)?.parts[index]; }

  /** The next part to be written, as a preload hint names it. */
  get nextPart(): { msn: number; index: number } {
    const open = this.open;
    return open ? { msn: open.msn, index: open.parts.length } : { msn: this.nextMsn, index: 0 };
  }

  /** True once the playlist holds segment `msn` complete, or part `index` of it (RFC 8216bis 6.2.5.2). */
  has(msn: number, index?: number): boolean {
    if (this.ended) return true; // nothing more will come: answer with what there is
    const last = this.segments.at(-1);
    if (!last || msn > last.msn) return false;
    if (msn < last.msn) return true;
    return last.complete || (index !== undefined && last.parts.length > index);
  }

  /** Segments whose parts are still listed: those ending within the last few target durations. */
  partListedFrom(): number {
    let covered = 0;
    for (let i = this.segments.length - 1; i >= 0; i--) {
      covered += this.segments[i]!.duration;
      if (covered >= PART_LIST_TARGETS * this.targetDuration) return this.segments[i]!.msn;
    }
    return this.segments[0]?.msn ?? 0;
  }

  /** Resolves true when `has(msn, index)` holds, false on timeout or when the window ends without it. */
  waitFor(msn: number, index: number | undefined, timeoutMs: number): Promise<boolean> {
    if (this.has(msn, index)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!this.has(msn, index) && !this.ended) return;
        done(this.has(msn, index));
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (ok: boolean) => { clearTimeout(timer); this.off('changed', check); resolve(ok); };
      this.on('changed', check);
    });
  }

  get bytes(): number {
    let n = 0;
    for (const b of this.inits.values()) n += b.length;
    for (const s of this.segments) n += s.bytes ? s.bytes.length : s.parts.reduce((a, p) => a + p.bytes.length, 0);
    return n;
  }

  private closeOpenSegment(): void {
    const open = this.open;
    if (!open) return;
    if (open.parts.length === 0) { this.segments.pop(); return; }
    open.complete = true;
    // One buffer per segment; its parts become views of it, so nothing is held twice.
    open.bytes = Buffer.concat(open.parts.map((p) => p.bytes));
    let at = 0;
    for (const p of open.parts) { p.bytes = open.bytes.subarray(at, at + p.bytes.length); at += p.bytes.length; }
  }

  private trim(): void {
    const complete = this.segments.filter((s) => s.complete).length;
    let drop = complete - this.settings.listSize;
    while (drop-- > 0) {
      const gone = this.segments.shift()!;
      if (gone.discontinuity) this.discontinuitySequence += 1;
    }
    const oldestInit = this.segments[0]?.initId ?? this.initId;
    for (const id of this.inits.keys()) if (id < oldestInit) this.inits.delete(id);
  }
}
