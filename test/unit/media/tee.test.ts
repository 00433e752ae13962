/** The tee with real UDP sockets on loopback (no fakes): forwarding, PT rewrite, source port, PLI path, loss counting. */
import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Logger } from '../../../relay/log.ts';
import { Tee } from '../../../relay/media/tee.ts';
import { UdpPair } from '../../../relay/media/udp-pair.ts';
import { UdpPortPool } from '../../../relay/media/udp-port-pool.ts';
import { hasKeyframeRequest, pli, rtpPayloadType } from '../../../relay/media/rtcp.ts';

const range = { from: 45000, to: 45999 };
const BUFFER = 256 * 1024;
const open: { close(): void }[] = [];

async function socket(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  open.push(s);
  return s;
}

function rtp(pt: number, seq = 0, ssrc = 0x1234): Buffer {
  const b = Buffer.alloc(24);
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

/** Sends the packets in this order and resolves once the tee has taken all of them. */
async function feed(tee: Tee, port: number, packets: Buffer[]): Promise<void> {
  const source = await socket();
  const until = tee.packetsIn + packets.length;
  for (const p of packets) await new Promise((r) => source.send(p, port, '127.0.0.1', r));
  while (tee.packetsIn < until) await new Promise((r) => setTimeout(r, 5));
}

afterEach(() => { for (const o of open.splice(0)) o.close(); });

describe('Tee', () => {
  it('copies source RTP to each sink from the sink socket, renumbering the payload type per sink', async () => {
    const used = new UdpPortPool(range, BUFFER);
    const ingress = await UdpPair.bind(used);
    const tee = new Tee({ video: ingress });
    open.push(tee);
    const sinkFrom = await UdpPair.bind(used);
    open.push(sinkFrom);
    const receiver = await socket();
    tee.addSink({ kind: 'video', from: sinkFrom.rtp, port: receiver.address().port, pt: 96 });

    const source = await socket();
    source.send(rtp(120), ingress.port, '127.0.0.1');
    const [packet, rinfo] = await once(receiver, 'message') as [Buffer, { port: number }];
    expect(rtpPayloadType(packet)).toBe(96);
    expect(rinfo.port).toBe(sinkFrom.port);
    expect(tee.packetsIn).toBe(1);
    expect(tee.bytesOut).toBe(24);
  });

  it("turns a sink's PLI into one PLI to the source's RTCP port, at most every 100 ms; those in between become one at its end", async () => {
    const used = new UdpPortPool(range, BUFFER);
    const ingress = await UdpPair.bind(used);
    const tee = new Tee({ video: ingress });
    open.push(tee);
    const sourceRtcp = await socket();
    tee.setSourceRtcp(sourceRtcp.address().port);
    const player = await UdpPair.bind(used);
    open.push(player);
    tee.listenForKeyframeRequests(player.rtcp, 'test player');
    const playerNosip = await socket();

    playerNosip.send(pli(5, 6), player.rtcpPort, '127.0.0.1');
    const [upstream, rinfo] = await once(sourceRtcp, 'message') as [Buffer, { port: number }];
    expect(hasKeyframeRequest(upstream)).toBe(true);
    expect(rinfo.port).toBe(ingress.rtcpPort);
    const first = Date.now();
    playerNosip.send(pli(5, 6), player.rtcpPort, '127.0.0.1');
    playerNosip.send(pli(5, 6), player.rtcpPort, '127.0.0.1');
    await once(player.rtcp, 'message');
    expect(tee.keyframeRequests).toBe(1);
    // The two within the interval are not lost: one PLI goes out when the interval ends.
    await once(sourceRtcp, 'message');
    expect(Date.now() - first).toBeGreaterThanOrEqual(90);
    expect(tee.keyframeRequests).toBe(2);
  });

  it('counts loss as RFC 3550 does: late and reordered packets fill their gap instead of opening a new one', async () => {
    const used = new UdpPortPool(range, BUFFER);
    const ingress = await UdpPair.bind(used);
    const tee = new Tee({ video: ingress });
    open.push(tee);
    const seqs = (...s: number[]) => s.map((n) => rtp(96, n));
    // 4 and 5 come late (a NACK's retransmissions), 9 out of order: nothing is missing in the end.
    await feed(tee, ingress.port, seqs(1, 2, 3, 6, 7, 4, 8, 5, 10, 9, 11));
    expect([tee.packetsExpected, tee.packetsLost]).toEqual([11, 0]);
    // Real gaps: 13 and 16–17 never come.
    await feed(tee, ingress.port, seqs(12, 14, 15, 18));
    expect([tee.packetsExpected, tee.packetsLost]).toEqual([18, 3]);
    // A duplicate of the latest packet does not hide a loss. Older ones count as received, as in RFC 3550: they
    // can hide loss (rare: Janus drops duplicates of what it NACKed) but never take it below 0.
    await feed(tee, ingress.port, seqs(18, 19));
    expect([tee.packetsExpected, tee.packetsLost]).toEqual([19, 3]);
    await feed(tee, ingress.port, seqs(1, 2, 3, 4, 20));
    expect([tee.packetsExpected, tee.packetsLost]).toEqual([20, 0]);
  });

  it('counts across the 16-bit wrap, and starts afresh for a new source (SSRC) or a confirmed jump', async () => {
    const used = new UdpPortPool(range, BUFFER);
    const ingress = await UdpPair.bind(used);
    const tee = new Tee({ audio: ingress });
    open.push(tee);
    await feed(tee, ingress.port, [65533, 65534, 0, 1, 65535, 3].map((n) => rtp(111, n)));
    expect([tee.packetsExpected, tee.packetsLost]).toEqual([7, 1]); // 65533…3, only 2 missing
    // A reconnect: another SSRC, its sequence anywhere. The old source's loss is kept, nothing new is invented.
    await feed(tee, ingress.port, [30_000, 30_001, 30_003].map((n) => rtp(111, n, 0x9999)));
    expect([tee.packetsExpected, tee.packetsLost]).toEqual([7 + 4, 1 + 1]);
    // The same SSRC jumping far ahead: one stray packet is ignored, two in a row restart the count there.
    await feed(tee, ingress.port, [50_000, 30_004, 40_000, 40_001, 40_002].map((n) => rtp(111, n, 0x9999)));
    expect([tee.packetsExpected, tee.packetsLost]).toEqual([7 + 5 + 2, 2]); // 40000 was the stray one: counting starts at 40001
  });

  it('UdpPair binds P and P+1 and never hands out a pair twice', async () => {
    const pool = new UdpPortPool({ from: 45100, to: 45104 }, BUFFER);
    const a = await UdpPair.bind(pool);
    const b = await UdpPair.bind(pool);
    open.push(a, b);
    expect(a.port % 2).toBe(0);
    expect(a.port).not.toBe(b.port);
    expect(pool.size).toBe(2);
    await expect(UdpPair.bind(pool)).rejects.toThrow(/no free UDP port pair/);
    a.close();
    expect(pool.size).toBe(1);
    const again = await UdpPair.bind(pool);
    open.push(again);
    expect(again.port).toBe(a.port);
  });

  it('gives each socket the configured receive buffer, or warns once with the sysctl to raise', async () => {
    const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    const warnings: string[] = [];
    const log = { warn: (event: string) => warnings.push(event) } as unknown as Logger;
    const fits = new UdpPortPool({ from: 45200, to: 45210 }, Math.min(rmemMax, BUFFER), log);
    const pair = await UdpPair.bind(fits);
    open.push(pair);
    expect(pair.rtp.getRecvBufferSize()).toBe(2 * Math.min(rmemMax, BUFFER)); // Linux doubles it for bookkeeping
    expect(warnings).toEqual([]);

    const tooBig = new UdpPortPool({ from: 45220, to: 45230 }, rmemMax + 4096, log);
    open.push(await UdpPair.bind(tooBig), await UdpPair.bind(tooBig));
    expect(warnings).toEqual(['udp.receive_buffer_capped']);
  });
});
