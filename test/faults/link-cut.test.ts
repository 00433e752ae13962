/**
 * R1: two media hosts (namespaces) on one wire. B pulls A's stream over it; the wire is cut for 10 s
 * and restored; the pull recovers by itself and media flows again. No browser: A's source is the
 * built-in test stream and B's received bytes show the media.
 */
import { recordFaultFigures } from '../harness/fault-figures.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { NamespaceLink, NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';

describe('R1: the link between two relays is cut for 10 s', () => {
  let nsA: NetNamespace;
  let nsB: NetNamespace;
  let link: NamespaceLink;
  let a: RelayProcess;
  let b: RelayProcess;

  beforeAll(async () => {
    nsA = NetNamespace.create();
    nsB = NetNamespace.create();
    link = await NamespaceLink.create(nsA, nsB);
    // ICE only on the wire between the hosts, so cutting it cuts media as well as signalling.
    [a, b] = await Promise.all([
      RelayProcess.start(nsA, { SIPHON_DEMO_STREAM: 'origin', SIPHON_ICE_INTERFACES: link.ifA }),
      RelayProcess.start(nsB, { SIPHON_ICE_INTERFACES: link.ifB }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    nsA?.destroySync();
    nsB?.destroySync();
  });

  const status = async () => ((await (await fetch(`${b.url}/rest-api/pull/find_all`)).json()) as { status: string }[])[0]?.status;
  const bytesIn = async () => Number(/^siphon_media_bytes_in_total (\d+)$/m.exec(await (await fetch(`${b.url}/metrics`)).text())![1]);

  it('the pull fails while the wire is down and plays again by itself once it is back', async () => {
    const res = await fetch(`${b.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: `ws://${link.addressA}:8080`, remoteStreamName: 'origin', localStreamName: 'copy' }) });
    expect(res.status).toBe(200);
    await expect.poll(status, { timeout: 20_000 }).toBe('PLAYING');
    const flowing = await bytesIn();
    await expect.poll(bytesIn).toBeGreaterThan(flowing);

    link.set(false);
    const cutAt = Date.now();
    await b.waitFor((l) => l.event === 'pull.state' && l.stream === 'copy' && l.to === 'FAILED', 15_000);
    await delay(Math.max(0, 10_000 - (Date.now() - cutAt))); // the outage lasts 10 s, whatever B does meanwhile
    link.set(true);
    const restoredAt = Date.now();

    await expect.poll(status, { timeout: 60_000, interval: 200 }).toBe('PLAYING');
    const backAfterMs = Date.now() - restoredAt;
    console.log(`R1: PLAYING again ${backAfterMs} ms after the link came back`);
    const resumed = await bytesIn();
    await expect.poll(bytesIn).toBeGreaterThan(resumed);
    const failures = b.lines.filter((l) => l.event === 'pull.state' && l.to === 'FAILED');
    expect(failures.length).toBeGreaterThan(0);
    expect(String(failures[0]!.info)).toMatch(/no media|closed|connect|silent|ended/);
    recordFaultFigures('R1', 'the wire between two relays cut for 10 s', { playingAfterLinkBackMs: backAfterMs });
  });
});
