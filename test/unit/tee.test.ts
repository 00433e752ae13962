/** The tee with real UDP sockets on loopback (no fakes): forwarding, PT rewrite, source port, PLI path. */
import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Logger } from '../../relay/log.ts';
import { Tee } from '../../relay/media/tee.ts';
import { UdpPair } from '../../relay/media/udp-pair.ts';
import { UdpPortPool } from '../../relay/media/udp-port-pool.ts';
import { hasKeyframeRequest, pli, rtpPayloadType } from '../../relay/media/rtcp.ts';

const range = { from: 45000, to: 45999 };
const BUFFER = 256 * 1024;
const open: { close(): void }[] = [];

async function socket(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  open.push(s);
  return s;
}

function rtp(pt: number): Buffer {
  const b = Buffer.alloc(24);
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt32BE(0x1234, 8);
  return b;
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
