/**
 * Added latency from the wire: tcpdump on a namespace's loopback (kernel timestamps, one clock for
 * every process in it) catches each RTP packet where it enters a relay (SRTP from the origin: the
 * RTP header stays in clear) and where it leaves it (plain RTP into a Janus mountpoint).
 * Janus keeps the SSRC but renumbers sequence numbers and timestamps by a constant offset (its RTP
 * switching context), and SRTP hides the payload, so packets are matched per SSRC by the offset that
 * lines up the most payload lengths (minus the SRTP auth tag) — a fingerprint the relay cannot change.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PortRange as Range } from '../relay/config.ts';

/** `payload` may be cut short by the capture's snap length; `length` is the datagram's real payload size. */
export interface UdpRecord { atUs: number; srcPort: number; dstPort: number; length: number; payload: Buffer }
export interface RtpHeader { ssrc: number; seq: number; pt: number }

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL = 113;

/** UDP/IPv4 datagrams of a classic pcap file (microsecond timestamps, little-endian, as tcpdump writes). */
export function parsePcap(file: Buffer): UdpRecord[] {
  if (file.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error('not a little-endian microsecond pcap file');
  const linkType = file.readUInt32LE(20);
  const linkBytes = linkType === LINKTYPE_ETHERNET ? 14 : linkType === LINKTYPE_LINUX_SLL ? 16 : -1;
  if (linkBytes < 0) throw new Error(`unsupported pcap link type ${linkType}`);
  const records: UdpRecord[] = [];
  for (let at = 24; at + 16 <= file.length;) {
    const atUs = file.readUInt32LE(at) * 1e6 + file.readUInt32LE(at + 4);
    const captured = file.readUInt32LE(at + 8);
    const frame = file.subarray(at + 16, at + 16 + captured);
    at += 16 + captured;
    const ip = frame.subarray(linkBytes);
    if (ip.length < 20 || ip[0]! >> 4 !== 4 || ip[9] !== 17) continue; // IPv4 UDP only
    const udp = ip.subarray((ip[0]! & 0x0f) * 4);
    if (udp.length < 8) continue;
    records.push({ atUs, srcPort: udp.readUInt16BE(0), dstPort: udp.readUInt16BE(2), length: udp.readUInt16BE(4) - 8, payload: udp.subarray(8) });
  }
  return records;
}

/** The RTP header of a media packet; undefined for RTCP, STUN and DTLS sharing the port. */
export function rtpHeader(payload: Buffer): RtpHeader | undefined {
  if (payload.length < 12 || payload[0]! >> 6 !== 2) return undefined;
  const pt = payload[1]! & 0x7f;
  if (pt >= 72 && pt <= 79) return undefined; // RTCP (200-207 with the marker bit position)
  return { ssrc: payload.readUInt32BE(8), seq: payload.readUInt16BE(2), pt };
}

const within = (port: number, r: Range) => port >= r.from && port <= r.to;

interface Seen { atUs: number; seq: number; length: number }

const MAX_TRANSIT_US = 2_000_000;
const MAX_TAG_BYTES = 16; // SRTP auth tags are 4 or 10 bytes; plain RTP on both sides is 0

/**
 * Milliseconds each packet spent between `ingress` (sent from a port in that range, e.g. the origin
 * Janus's ICE ports) and `egress` (sent to a port in that range, e.g. the mountpoints).
 */
export function transitMs(records: UdpRecord[], ingress: { fromPorts: Range }, egress: { toPorts: Range }): number[] {
  const ins = new Map<number, Seen[]>();
  const outs = new Map<number, Seen[]>();
  for (const r of records) {
    const rtp = rtpHeader(r.payload);
    if (!rtp) continue;
    const side = within(r.srcPort, ingress.fromPorts) ? ins : within(r.dstPort, egress.toPorts) ? outs : undefined;
    if (!side) continue;
    const list = side.get(rtp.ssrc) ?? [];
    list.push({ atUs: r.atUs, seq: rtp.seq, length: r.length });
    side.set(rtp.ssrc, list);
  }
  const out: number[] = [];
  for (const [ssrc, egressed] of outs) {
    const arrived = ins.get(ssrc);
    if (!arrived) continue;
    const shift = renumbering(arrived, egressed);
    if (!shift) continue;
    const bySeq = new Map(arrived.map((p) => [p.seq, p]));
    for (const e of egressed) {
      const i = bySeq.get((e.seq - shift.seq + 0x10000) % 0x10000);
      if (i && i.length - e.length === shift.tag && e.atUs >= i.atUs) out.push((e.atUs - i.atUs) / 1000);
    }
  }
  return out;
}

/** The (sequence offset, length difference) that pairs the most packets of one SSRC, from a sample. */
export function renumbering(arrived: Seen[], egressed: Seen[]): { seq: number; tag: number } | undefined {
  const votes = new Map<string, number>();
  for (const e of egressed.slice(0, 300)) {
    for (const i of arrived) {
      if (i.atUs > e.atUs || e.atUs - i.atUs > MAX_TRANSIT_US) continue;
      const tag = i.length - e.length;
      if (tag < 0 || tag > MAX_TAG_BYTES) continue;
      const key = `${(e.seq - i.seq + 0x10000) % 0x10000}:${tag}`;
      votes.set(key, (votes.get(key) ?? 0) + 1);
    }
  }
  const best = [...votes].sort((a, b) => b[1] - a[1])[0];
  if (!best || best[1] < 10) return undefined; // too few packets to tell
  const [seq, tag] = best[0].split(':').map(Number);
  return { seq: seq!, tag: tag! };
}

/** Captures UDP on the namespace's loopback for `seconds` (headers only) and returns the datagrams. */
export async function captureLoopback(ns: string, seconds: number): Promise<UdpRecord[]> {
  return captureWhile(ns, () => new Promise((r) => setTimeout(r, seconds * 1000)));
}

/** UDP on the namespace's loopback while `run` runs (`snap` bytes of each datagram kept). */
export async function captureWhile(ns: string, run: () => Promise<void>, snap = 80): Promise<UdpRecord[]> {
  const dir = mkdtempSync(join(tmpdir(), 'siphon-capture-'));
  const file = join(dir, 'lo.pcap');
  try {
    const tcpdump = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', 'lo', '-n', '-s', String(snap), '-B', '65536', '-U', '-w', file, 'udp'],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = once(tcpdump, 'exit');
    let err = '';
    await new Promise<void>((resolve, reject) => {
      tcpdump.stderr!.on('data', (d: Buffer) => { err += d.toString(); if (err.includes('listening on')) resolve(); });
      void exited.then(() => reject(new Error(`tcpdump exited: ${err}`)));
    });
    try {
      await run();
    } finally {
      tcpdump.kill('SIGINT');
      await exited;
    }
    if (/[1-9]\d* packets? dropped by kernel/.test(err)) console.error(`capture: ${err.trim().split('\n').at(-1)}`);
    return parsePcap(readFileSync(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
