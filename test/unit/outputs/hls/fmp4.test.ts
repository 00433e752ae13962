import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { BoxSplitter, Fmp4Error, parseFragment, parseInit } from '../../../../relay/outputs/hls/fmp4.ts';

// ffmpeg's own output, with the packager's movflags (test/fixtures/hls/README.md).
const file = readFileSync(new URL('../../../fixtures/hls/h264-aac-fragmented.mp4', import.meta.url));

function split(chunkSize: number) {
  const s = new BoxSplitter();
  const out = [];
  for (let at = 0; at < file.length; at += chunkSize) out.push(...s.push(file.subarray(at, at + chunkSize)));
  return out;
}

describe('fMP4 reader', () => {
  it('splits a byte stream into the same boxes however the pipe chunks it', () => {
    const whole = split(file.length).map((b) => `${b.type}:${b.bytes.length}`);
    expect(whole.slice(0, 4)).toEqual(['ftyp:28', 'moov:1223', 'moof:268', 'mdat:11314']);
    expect(split(7).map((b) => `${b.type}:${b.bytes.length}`)).toEqual(whole);
    expect(split(4096).map((b) => `${b.type}:${b.bytes.length}`)).toEqual(whole);
  });

  it('reads the tracks and their timescales from the init segment', () => {
    const [ftyp, moov] = split(file.length);
    const init = parseInit(Buffer.concat([ftyp!.bytes, moov!.bytes]));
    expect(init.tracks.map((t) => [t.id, t.kind, t.timescale])).toEqual([[1, 'video', 15360], [2, 'audio', 48000]]);
  });

  it('reads start, duration and keyframe of each fragment: keyframes every 0.5 s, parts ≤ 0.22 s', () => {
    const boxes = split(file.length);
    const init = parseInit(Buffer.concat([boxes[0]!.bytes, boxes[1]!.bytes]));
    const video = [];
    for (let i = 2; i + 1 < boxes.length; i += 2) {
      if (boxes[i]!.type !== 'moof') continue;
      const f = parseFragment(Buffer.concat([boxes[i]!.bytes, boxes[i + 1]!.bytes]), init.tracks);
      video.push(f.runs.find((r) => r.kind === 'video')!);
      expect(f.runs.map((r) => r.kind)).toEqual(['video', 'audio']);
    }
    expect(video).toHaveLength(14);
    expect(video.filter((r) => r.keyframe).map((r) => r.start.toFixed(3))).toEqual(['0.000', '0.521', '1.021', '1.521', '2.021']);
    for (const r of video) expect(r.duration).toBeGreaterThan(0.09);
    for (const r of video) expect(r.duration).toBeLessThan(0.23);
    const total = video.reduce((n, r) => n + r.duration, 0);
    expect(total).toBeCloseTo(2.421, 2);
  });

  it('refuses a truncated box instead of reading past it', () => {
    const boxes = split(file.length);
    const init = parseInit(Buffer.concat([boxes[0]!.bytes, boxes[1]!.bytes]));
    const moof = Buffer.from(boxes[2]!.bytes);
    moof.writeUInt32BE(moof.length + 100, 0);
    expect(() => parseFragment(moof, init.tracks)).toThrow(Fmp4Error);
    const box = (size: number, type: string) => Buffer.concat([Buffer.from([0, 0, 0, size]), Buffer.from(type, 'latin1')]);
    expect(() => parseInit(box(8, 'free'))).toThrow(Fmp4Error);
    expect(() => new BoxSplitter().push(box(4, 'moof'))).toThrow(Fmp4Error);
  });
});
