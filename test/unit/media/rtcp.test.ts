import { describe, expect, it } from 'vitest';
import { emptyReceiverReport, hasKeyframeRequest, pli, rtpPayloadType, rtpSsrc, withPayloadType } from '../../../relay/media/rtcp.ts';

const rtp = (pt: number, marker = false) => {
  const b = Buffer.alloc(20);
  b[0] = 0x80;
  b[1] = (marker ? 0x80 : 0) | pt;
  b.writeUInt32BE(0xdeadbeef, 8);
  return b;
};

describe('RTCP', () => {
  it('a PLI we write is recognised as a keyframe request, alone and after an RR in a compound packet', () => {
    const p = pli(1, 0xdeadbeef);
    expect(hasKeyframeRequest(p)).toBe(true);
    expect(hasKeyframeRequest(Buffer.concat([emptyReceiverReport(7), p]))).toBe(true);
  });

  it('FIR counts as a keyframe request; RR, REMB and NACK do not', () => {
    const fir = Buffer.from(pli(1, 2));
    fir[0] = 0x84;
    expect(hasKeyframeRequest(fir)).toBe(true);
    const remb = Buffer.from(pli(1, 2));
    remb[0] = 0x8f;
    expect(hasKeyframeRequest(remb)).toBe(false);
    const nack = Buffer.from(pli(1, 2));
    nack[1] = 205;
    expect(hasKeyframeRequest(nack)).toBe(false);
    expect(hasKeyframeRequest(emptyReceiverReport(3))).toBe(false);
  });

  it('survives truncated and garbage packets', () => {
    expect(hasKeyframeRequest(Buffer.from([0x81, 206]))).toBe(false);
    expect(hasKeyframeRequest(Buffer.from([0x00, 0x00, 0x00, 0x00]))).toBe(false);
    expect(hasKeyframeRequest(Buffer.from([0x81, 201, 0xff, 0xff]))).toBe(false);
  });
});

describe('RTP header', () => {
  it('reads PT and SSRC, and rewrites PT keeping the marker bit without touching the original', () => {
    const packet = rtp(98, true);
    expect(rtpPayloadType(packet)).toBe(98);
    expect(rtpSsrc(packet)).toBe(0xdeadbeef);
    const out = withPayloadType(packet, 96);
    expect(out[1]).toBe(0x80 | 96);
    expect(packet[1]).toBe(0x80 | 98);
    expect(rtpPayloadType(Buffer.alloc(4))).toBeUndefined();
  });
});
