/** The few RTCP facts the tee needs: spot keyframe requests, write a PLI, latch a mountpoint's rtcpport. */
const PSFB = 206;
const FMT_PLI = 1;
const FMT_FIR = 4;

/** True when any packet of a compound RTCP datagram is a PLI or FIR. */
export function hasKeyframeRequest(packet: Buffer): boolean {
  let offset = 0;
  while (offset + 4 <= packet.length) {
    const first = packet[offset]!;
    if (first >> 6 !== 2) return false;
    const pt = packet[offset + 1]!;
    const fmt = first & 0x1f;
    if (pt === PSFB && (fmt === FMT_PLI || fmt === FMT_FIR)) return true;
    offset += (packet.readUInt16BE(offset + 2) + 1) * 4;
  }
  return false;
}

export function pli(senderSsrc: number, mediaSsrc: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = 0x80 | FMT_PLI;
  b[1] = PSFB;
  b.writeUInt16BE(2, 2);
  b.writeUInt32BE(senderSsrc >>> 0, 4);
  b.writeUInt32BE(mediaSsrc >>> 0, 8);
  return b;
}

/** An empty receiver report: the packet we send to a mountpoint's rtcpport so Janus learns where PLIs go. */
export function emptyReceiverReport(ssrc: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 0x80;
  b[1] = 201;
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(ssrc >>> 0, 4);
  return b;
}

export function rtpSsrc(packet: Buffer): number | undefined {
  return packet.length >= 12 ? packet.readUInt32BE(8) : undefined;
}

export function rtpPayloadType(packet: Buffer): number | undefined {
  return packet.length >= 12 ? packet[1]! & 0x7f : undefined;
}

/** A copy with the payload-type byte rewritten (the marker bit kept). */
export function withPayloadType(packet: Buffer, pt: number): Buffer {
  const copy = Buffer.from(packet);
  copy[1] = (copy[1]! & 0x80) | pt;
  return copy;
}
