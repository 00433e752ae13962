/** B3's added-latency measurement: the pcap reader and the matching of packets a relay renumbered. */
import { describe, expect, it } from 'vitest';
import { parsePcap, rtpHeader, transitMs, type UdpRecord } from '../../bench/rtp-capture.ts';

function rtp(seq: number, ssrc: number, payloadBytes: number, pt = 96): Buffer {
  const b = Buffer.alloc(12 + payloadBytes);
  b[0] = 0x80; b[1] = pt; b.writeUInt16BE(seq, 2); b.writeUInt32BE(seq * 3000, 4); b.writeUInt32BE(ssrc, 8);
  return b;
}

/** A classic pcap file of Ethernet/IPv4/UDP frames, as tcpdump -w writes on loopback. */
function pcap(frames: { atUs: number; srcPort: number; dstPort: number; payload: Buffer; snap?: number }[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0); header.writeUInt16LE(2, 4); header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16); header.writeUInt32LE(1, 20);
  const parts = [header];
  for (const f of frames) {
    const udp = Buffer.alloc(8); udp.writeUInt16BE(f.srcPort, 0); udp.writeUInt16BE(f.dstPort, 2); udp.writeUInt16BE(8 + f.payload.length, 4);
    const ip = Buffer.alloc(20); ip[0] = 0x45; ip[9] = 17; ip.writeUInt16BE(20 + 8 + f.payload.length, 2);
    const frame = Buffer.concat([Buffer.alloc(14), ip, udp, f.payload]);
    const kept = frame.subarray(0, f.snap ?? frame.length);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(f.atUs / 1e6), 0); rec.writeUInt32LE(f.atUs % 1e6, 4);
    rec.writeUInt32LE(kept.length, 8); rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, kept);
  }
  return Buffer.concat(parts);
}

describe('rtp capture', () => {
  it('reads UDP datagrams, with their real length when the snap length cut them', () => {
    const [r] = parsePcap(pcap([{ atUs: 5_000_123, srcPort: 31001, dstPort: 42800, payload: rtp(7, 1, 1188), snap: 80 }]));
    expect(r).toMatchObject({ atUs: 5_000_123, srcPort: 31001, dstPort: 42800, length: 1200 });
    expect(rtpHeader(r!.payload)).toEqual({ ssrc: 1, seq: 7, pt: 96 });
  });

  it('tells RTCP, STUN and DTLS apart from RTP', () => {
    expect(rtpHeader(Buffer.from([0x80, 0xc9, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]))).toBeUndefined(); // RTCP RR
    expect(rtpHeader(Buffer.concat([Buffer.from([0x00, 0x01]), Buffer.alloc(18)]))).toBeUndefined(); // STUN
    expect(rtpHeader(Buffer.concat([Buffer.from([22, 0xfe, 0xfd]), Buffer.alloc(10)]))).toBeUndefined(); // DTLS
  });

  it('matches packets a relay renumbered by a constant offset, by their lengths minus the SRTP tag', () => {
    const records: UdpRecord[] = [];
    const ssrc = 0x81c8c75d;
    for (let k = 0; k < 200; k++) {
      const size = k % 9 === 8 ? 300 + ((k * 37) % 800) : 1188; // full packets, and a shorter last one per frame
      const sentAt = 1_000_000 + k * 3_000;
      records.push({ atUs: sentAt, srcPort: 31005, dstPort: 42010, length: 12 + size + 10, payload: rtp(60_000 + k, ssrc, 0) });
      // The relay renumbers (60000 + k → 800 + k, across the 16-bit wrap) and takes 1.5 ms.
      records.push({ atUs: sentAt + 1_500, srcPort: 43300, dstPort: 42900, length: 12 + size, payload: rtp((60_000 + k + 6_336) % 65_536, ssrc, 0) });
    }
    records.sort((a, b) => a.atUs - b.atUs);
    const transit = transitMs(records, { fromPorts: { from: 31001, to: 31999 } }, { toPorts: { from: 42800, to: 43199 } });
    expect(transit).toHaveLength(200);
    expect(new Set(transit)).toEqual(new Set([1.5]));
  });
});
