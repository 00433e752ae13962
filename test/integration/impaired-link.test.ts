/**
 * The link emulator's self-test: what crosses it is delayed, jittered and lost as it was told, per
 * direction, changeable while it runs; TCP crosses it; its UDP firewall stops UDP and not TCP.
 * Bounds are loose (a loaded 2-core machine); bench/link-emulator.ts measures it precisely.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetNamespace } from '../harness/netns.ts';
import { ImpairedLink } from '../harness/impaired-link.ts';
import { probeUdp, startEcho, tcpHello } from '../harness/link-probe.ts';

describe('impaired link (userspace emulator between two namespaces)', () => {
  let nsA: NetNamespace;
  let nsB: NetNamespace;
  let link: ImpairedLink;
  let echo: { stop: () => void };
  const PORT = 9009;

  beforeAll(async () => {
    nsA = NetNamespace.create();
    nsB = NetNamespace.create();
    link = await ImpairedLink.create(nsA, nsB, 7);
    echo = await startEcho(nsB, PORT);
  });

  afterAll(async () => {
    echo?.stop();
    await link?.destroy();
    nsA?.destroySync();
    nsB?.destroySync();
  });

  it('clean, it adds next to nothing; told 50 ms ± 15 ms and 2 % loss each way, the round trip shows ~100 ms and ~4 % loss', async () => {
    const clean = await probeUdp(nsA, link.addressB, PORT, 100, 5);
    expect(clean.lossPct).toBe(0);
    expect(clean.rttMs.p50).toBeLessThan(5);

    await link.set('both', { delayMs: 50, jitterMs: 15, lossPct: 2 });
    const impaired = await probeUdp(nsA, link.addressB, PORT, 600, 5);
    console.log(`impaired link: ${JSON.stringify(impaired)}`);
    expect(impaired.rttMs.p50).toBeGreaterThan(90);
    expect(impaired.rttMs.p50).toBeLessThan(115);
    expect(impaired.rttMs.p5).toBeGreaterThan(70); // jitter spreads it, never below the sum of the minima
    expect(impaired.lossPct).toBeGreaterThan(1);
    expect(impaired.lossPct).toBeLessThan(9);
    const stats = await link.stats();
    expect(stats.ab.lost).toBeGreaterThan(0);
    expect(stats.ba.lost).toBeGreaterThan(0);
    expect(stats.ab.lossPct).toBe(2);
  });

  it('one direction at a time, bursty loss, and TCP crosses a lossy link', async () => {
    await link.set('both', { delayMs: 0, jitterMs: 0, lossPct: 0 });
    await link.set('ab', { delayMs: 30 });
    const oneWay = await probeUdp(nsA, link.addressB, PORT, 100, 5);
    expect(oneWay.rttMs.p50).toBeGreaterThan(29);
    expect(oneWay.rttMs.p50).toBeLessThan(40);

    await link.set('ab', { delayMs: 0, lossPct: 10, burst: 5 });
    const bursty = await probeUdp(nsA, link.addressB, PORT, 1000, 2);
    expect(bursty.lossPct).toBeGreaterThan(3);
    expect(bursty.lossPct).toBeLessThan(20);
    expect(await tcpHello(nsA, link.addressB, PORT)).toBe('hello');
    await link.set('ab', { lossPct: 0, burst: 0 });
  });

  it('as a UDP firewall it drops UDP and lets TCP through; a bad setting is refused', async () => {
    await link.set('both', { dropUdp: true });
    const blocked = await probeUdp(nsA, link.addressB, PORT, 20, 5);
    expect(blocked.received).toBe(0);
    expect(await tcpHello(nsA, link.addressB, PORT)).toBe('hello');
    const stats = await link.stats();
    expect(stats.ab.udpDropped).toBeGreaterThanOrEqual(20);
    await link.set('both', { dropUdp: false });
    expect((await probeUdp(nsA, link.addressB, PORT, 20, 5)).received).toBe(20);
    await expect(link.set('ab', { lossPct: 150 })).rejects.toThrow(/bad setting/);
  });
});
