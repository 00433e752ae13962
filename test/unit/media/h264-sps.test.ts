/** An H.264 SPS's picture size, on SPSs x264 wrote (test/fixtures/rtp/h264-sps.txt): baseline, main, high, cropped. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { spsPictureSize } from '../../../relay/media/h264-sps.ts';
import { h264SpsSize } from '../../../relay/media/media-meter.ts';

const FIXTURES = readFileSync(new URL('../../fixtures/rtp/h264-sps.txt', import.meta.url), 'utf8')
  .split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(' ') as [string, string, string]);

describe('spsPictureSize', () => {
  for (const [size, profile, hex] of FIXTURES) {
    it(`${profile} ${size}`, () => {
      const [width, height] = size.split('x').map(Number);
      expect(spsPictureSize(Buffer.from(hex, 'hex'))).toEqual({ width, height });
    });
  }

  it('1080p is cropped from 1088 rows of macroblocks; the same SPS inside a STAP-A (as browsers send it) reads alike', () => {
    const sps = Buffer.from(FIXTURES.find(([size]) => size === '1920x1080')![2], 'hex');
    const pps = Buffer.from('68ebe3cb22c0', 'hex');
    const stap = Buffer.concat([Buffer.from([0x80, 0x66, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]), Buffer.from([0x18]),
      Buffer.from([0, sps.length]), sps, Buffer.from([0, pps.length]), pps]);
    expect(h264SpsSize(stap, 12)).toEqual({ width: 1920, height: 1080 });
  });

  it('cut short, not an SPS, or garbage: no size, never a throw', () => {
    const sps = Buffer.from(FIXTURES[0]![2], 'hex');
    for (let n = 0; n < sps.length - 6; n++) expect(() => spsPictureSize(sps.subarray(0, n))).not.toThrow();
    expect(spsPictureSize(sps.subarray(0, 6))).toBeUndefined();
    expect(spsPictureSize(Buffer.from('68ebe3cb22c0', 'hex'))).toBeUndefined(); // a PPS
    expect(spsPictureSize(Buffer.from('6700000000000000', 'hex'))).toBeUndefined();
  });
});
