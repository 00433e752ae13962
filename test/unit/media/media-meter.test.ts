/** What the tee's meter reads off RTP (WCS's stream metrics), on packets GStreamer's payloaders sent (test/fixtures/rtp). */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { MediaMeter, isH264KeyframeStart, payloadStart, vp8KeyframeSize } from '../../../relay/media/media-meter.ts';

const packets = (file: string) => readFileSync(new URL(`../../fixtures/rtp/${file}`, import.meta.url), 'utf8')
  .trim().split('\n').map((hex) => Buffer.from(hex, 'hex'));
const VP8 = packets('vp8-320x180-two-frames.hex');
const H264 = packets('h264-320x180-two-frames.hex');

describe('MediaMeter', () => {
  it('VP8: one keyframe, its size from the frame header; the interframe and continuation packets are not keyframes', () => {
    const starts = VP8.filter((p) => vp8KeyframeSize(p, payloadStart(p)!) !== undefined);
    expect(starts).toHaveLength(1);
    expect(vp8KeyframeSize(starts[0]!, payloadStart(starts[0]!)!)).toEqual({ width: 320, height: 180 });
    const meter = Object.assign(new MediaMeter(), { videoCodec: 'VP8' });
    for (const p of VP8) meter.add('video', p, 0);
    expect(meter.keyframes).toBe(1);
    expect(meter.size).toEqual({ width: 320, height: 180 });
  });

  it('H.264: the IDR picture counts once (its FU-A start), the SPS/PPS and the second frame do not; the size comes from the SPS', () => {
    const meter = Object.assign(new MediaMeter(), { videoCodec: 'H264' });
    for (const p of H264) meter.add('video', p, 0);
    expect(meter.keyframes).toBe(1);
    expect(meter.size).toEqual({ width: 320, height: 180 }); // 192 rows of macroblocks, cropped to 180
    const key = H264.find((p) => isH264KeyframeStart(p, payloadStart(p)!))!;
    expect(H264.indexOf(key)).toBeLessThan(H264.findIndex((p) => (p[1]! & 0x80) !== 0) + 1); // in the first frame
  });

  it('only the stream\'s own codec is parsed: another codec\'s packets, or no codec known yet, are counted and nothing more', () => {
    for (const [codec, packets] of [['H264', VP8], ['VP8', H264], [undefined, VP8]] as const) {
      const meter = Object.assign(new MediaMeter(), { videoCodec: codec });
      for (const p of packets) meter.add('video', p, 0);
      expect({ keyframes: meter.keyframes, size: meter.size }, String(codec)).toEqual({ keyframes: 0, size: { width: 0, height: 0 } });
    }
  });

  it('rates: bits and frames per second over the last full second; zero once the stream has gone quiet', () => {
    const meter = new MediaMeter();
    const t0 = 1_000_000;
    const frame = Buffer.alloc(1012);
    frame[0] = 0x80; frame[1] = 0x80 | 96; // marker: each packet ends a frame
    for (let i = 0; i <= 30; i++) meter.add('video', frame, t0 + Math.round(i * 1000 / 30));
    const audio = Buffer.alloc(112);
    audio[0] = 0x80; audio[1] = 111;
    meter.add('audio', audio, t0 + 1500);
    for (let i = 31; i <= 60; i++) meter.add('video', frame, t0 + Math.round(i * 1000 / 30));
    const rates = meter.rates(t0 + 2050);
    expect(rates.fps).toBeGreaterThanOrEqual(29);
    expect(rates.fps).toBeLessThanOrEqual(31);
    expect(rates.videoBps).toBeGreaterThan(230_000); // 30 × 1012 B × 8
    expect(rates.audioBps).toBeGreaterThan(800);
    expect(meter.rates(t0 + 10_000)).toEqual({ audioBps: 0, videoBps: 0, fps: 0 });
  });

  it('a short or truncated packet is skipped, never thrown on', () => {
    for (const videoCodec of ['VP8', 'H264']) {
      const meter = Object.assign(new MediaMeter(), { videoCodec });
      const cut = [...VP8, ...H264].flatMap((p) => [12, 13, 14, 16, 20].map((n) => p.subarray(0, n)));
      for (const p of [Buffer.alloc(3), Buffer.from('9060', 'hex'), ...cut]) expect(() => meter.add('video', p, 0), videoCodec).not.toThrow();
    }
  });
});
