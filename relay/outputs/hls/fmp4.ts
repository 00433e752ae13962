/**
 * Just enough ISO-BMFF to cut a fragmented MP4 byte stream (ffmpeg's `-movflags frag_keyframe+empty_moov`)
 * into HLS parts: split top-level boxes, read each track's timescale and defaults from the init segment,
 * and from each moof the start time, duration and whether it begins with a sync sample. Media bytes are
 * never copied or rewritten: a part is the moof+mdat pair exactly as ffmpeg wrote it.
 */
export class Fmp4Error extends Error {
  override name = 'Fmp4Error';
}

export type TrackKind = 'video' | 'audio';

export interface Track { id: number; kind: TrackKind; timescale: number; defaultDuration: number; defaultFlags: number }

export interface InitSegment { bytes: Buffer; tracks: Track[] }

export interface TrackRun { kind: TrackKind; start: number; duration: number; keyframe: boolean }

export interface Fragment { bytes: Buffer; runs: TrackRun[] }

interface Box { type: string; start: number; end: number; body: number }

const NON_SYNC_SAMPLE = 0x10000;
const MAX_BOX_BYTES = 64 * 1024 * 1024;

function* children(buf: Buffer, from: number, to: number): Generator<Box> {
  let at = from;
  while (at + 8 <= to) {
    let size = buf.readUInt32BE(at);
    let body = at + 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(at + 8));
      body = at + 16;
    }
    if (size < 8 || at + size > to) throw new Fmp4Error(`box at ${at} overruns its parent (${size} bytes)`);
    yield { type: buf.toString('latin1', at + 4, at + 8), start: at, end: at + size, body };
    at += size;
  }
}

function child(buf: Buffer, parent: Box, type: string): Box | undefined {
  for (const b of children(buf, parent.body, parent.end)) if (b.type === type) return b;
  return undefined;
}

function path(buf: Buffer, parent: Box, ...types: string[]): Box | undefined {
  let at: Box | undefined = parent;
  for (const t of types) at = at && child(buf, at, t);
  return at;
}

/** Splits a byte stream into whole top-level boxes; keeps the unfinished tail for the next chunk. */
export class BoxSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  push(chunk: Buffer): { type: string; bytes: Buffer }[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < 8) return [];
    let buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const out: { type: string; bytes: Buffer }[] = [];
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(0) === 1 && buf.length >= 16 ? Number(buf.readBigUInt64BE(8)) : buf.readUInt32BE(0);
      if (size < 8 || size > MAX_BOX_BYTES) throw new Fmp4Error(`top-level box of ${size} bytes`);
      if (buf.length < size) break;
      out.push({ type: buf.toString('latin1', 4, 8), bytes: buf.subarray(0, size) });
      buf = buf.subarray(size);
    }
    this.pending = buf.length ? [buf] : [];
    this.pendingBytes = buf.length;
    return out;
  }
}

/** Reads the tracks of an init segment (ftyp + moov). */
export function parseInit(bytes: Buffer): InitSegment {
  const top = [...children(bytes, 0, bytes.length)];
  const moov = top.find((b) => b.type === 'moov');
  if (!moov) throw new Fmp4Error('init segment without moov');
  const trex = new Map<number, { duration: number; flags: number }>();
  const mvex = child(bytes, moov, 'mvex');
  if (mvex) {
    for (const b of children(bytes, mvex.body, mvex.end)) {
      if (b.type !== 'trex') continue;
      trex.set(bytes.readUInt32BE(b.body + 4), { duration: bytes.readUInt32BE(b.body + 12), flags: bytes.readUInt32BE(b.body + 20) });
    }
  }
  const tracks: Track[] = [];
  for (const trak of children(bytes, moov.body, moov.end)) {
    if (trak.type !== 'trak') continue;
    const tkhd = child(bytes, trak, 'tkhd');
    const mdhd = path(bytes, trak, 'mdia', 'mdhd');
    const hdlr = path(bytes, trak, 'mdia', 'hdlr');
    if (!tkhd || !mdhd || !hdlr) throw new Fmp4Error('trak without tkhd, mdhd or hdlr');
    const id = bytes.readUInt32BE(tkhd.body + (bytes[tkhd.body] === 1 ? 20 : 12));
    const timescale = bytes.readUInt32BE(mdhd.body + (bytes[mdhd.body] === 1 ? 20 : 12));
    const handler = bytes.toString('latin1', hdlr.body + 8, hdlr.body + 12);
    if (handler !== 'vide' && handler !== 'soun') continue;
    const defaults = trex.get(id) ?? { duration: 0, flags: 0 };
    tracks.push({ id, kind: handler === 'vide' ? 'video' : 'audio', timescale, defaultDuration: defaults.duration, defaultFlags: defaults.flags });
  }
  if (tracks.length === 0) throw new Fmp4Error('init segment without an audio or video track');
  return { bytes, tracks };
}

/** Reads a moof (with its mdat appended in `bytes`): per track, start and duration in seconds and the first sample's sync flag. */
export function parseFragment(bytes: Buffer, tracks: readonly Track[]): Fragment {
  const moof = [...children(bytes, 0, bytes.length)].find((b) => b.type === 'moof');
  if (!moof) throw new Fmp4Error('fragment without moof');
  const runs: TrackRun[] = [];
  for (const traf of children(bytes, moof.body, moof.end)) {
    if (traf.type !== 'traf') continue;
    const run = readTraf(bytes, traf, tracks);
    if (run) runs.push(run);
  }
  return { bytes, runs };
}

function readTraf(bytes: Buffer, traf: Box, tracks: readonly Track[]): TrackRun | undefined {
  const tfhd = child(bytes, traf, 'tfhd');
  if (!tfhd) throw new Fmp4Error('traf without tfhd');
  const track = tracks.find((t) => t.id === bytes.readUInt32BE(tfhd.body + 4));
  if (!track) return undefined;
  const tfhdFlags = bytes.readUInt32BE(tfhd.body) & 0xffffff;
  let at = tfhd.body + 8 + (tfhdFlags & 0x01 ? 8 : 0) + (tfhdFlags & 0x02 ? 4 : 0);
  let defaultDuration = track.defaultDuration;
  let defaultFlags = track.defaultFlags;
  if (tfhdFlags & 0x08) { defaultDuration = bytes.readUInt32BE(at); at += 4; }
  if (tfhdFlags & 0x10) at += 4;
  if (tfhdFlags & 0x20) defaultFlags = bytes.readUInt32BE(at);
  const tfdt = child(bytes, traf, 'tfdt');
  const start = !tfdt ? 0 : bytes[tfdt.body] === 1 ? Number(bytes.readBigUInt64BE(tfdt.body + 4)) : bytes.readUInt32BE(tfdt.body + 4);
  let duration = 0;
  let firstFlags: number | undefined;
  for (const trun of children(bytes, traf.body, traf.end)) {
    if (trun.type !== 'trun') continue;
    const r = readTrun(bytes, trun, defaultDuration, defaultFlags);
    duration += r.duration;
    firstFlags ??= r.firstFlags;
  }
  return { kind: track.kind, start: start / track.timescale, duration: duration / track.timescale,
    keyframe: firstFlags !== undefined && (firstFlags & NON_SYNC_SAMPLE) === 0 };
}

function readTrun(bytes: Buffer, trun: Box, defaultDuration: number, defaultFlags: number) {
  const flags = bytes.readUInt32BE(trun.body) & 0xffffff;
  const count = bytes.readUInt32BE(trun.body + 4);
  let at = trun.body + 8 + (flags & 0x01 ? 4 : 0);
  let firstFlags: number | undefined;
  if (flags & 0x04) { firstFlags = bytes.readUInt32BE(at); at += 4; }
  const perSample = ['0x100', '0x200', '0x400', '0x800'].filter((f) => flags & Number(f)).length * 4;
  if (at + count * perSample > trun.end) throw new Fmp4Error('trun overruns its box');
  let duration = 0;
  for (let i = 0; i < count; i++) {
    let field = at + i * perSample;
    duration += flags & 0x100 ? bytes.readUInt32BE(field) : defaultDuration;
    if (flags & 0x100) field += 4;
    if (flags & 0x200) field += 4;
    if (i === 0 && firstFlags === undefined) firstFlags = flags & 0x400 ? bytes.readUInt32BE(field) : defaultFlags;
  }
  return { duration, firstFlags: count > 0 ? firstFlags : undefined };
}
