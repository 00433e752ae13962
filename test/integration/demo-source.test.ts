/**
 * The demo stream on a host whose GStreamer lacks an element (gstreamer1.0-x not installed: no
 * timeoverlay): /health says so with GStreamer's own words, and the relay logs that error once, not
 * on every restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { gstreamerWithout } from '../harness/gstreamer-without.ts';

interface Health { status: string; testSource: { state: string; restarts: number; lastError: string | null } | null }

describe('demo stream with a GStreamer element missing', () => {
  let ns: NetNamespace;
  let relay: RelayProcess;
  let gst: ReturnType<typeof gstreamerWithout>;

  beforeAll(async () => {
    ns = NetNamespace.create();
    gst = gstreamerWithout('libgstpango.so');
    relay = await RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'demo', ...gst.env });
  });

  afterAll(async () => {
    await relay?.stop();
    ns?.destroySync();
    gst?.remove();
  });

  it('/health shows the test source failed with GStreamer\'s error; the error is logged once across restarts', async () => {
    await relay.waitFor((l) => l.event === 'test_source.state' && l.to === 'starting' && (l.restarts as number) >= 2, 20_000);
    const health = await (await fetch(`${relay.url}/health`)).json() as Health;
    expect(health.status).toBe('ok'); // Janus is fine; the demo is what is broken
    expect(health.testSource!.restarts).toBeGreaterThanOrEqual(2);
    expect(health.testSource!.lastError).toMatch(/no element "timeoverlay"/);
    expect(['starting', 'failed']).toContain(health.testSource!.state);
    const said = relay.lines.filter((l) => l.event === 'test_source.stderr');
    expect(said).toHaveLength(1);
    expect(said[0]!.text).toMatch(/no element "timeoverlay"/);
    expect(relay.lines.filter((l) => l.event === 'test_source.exited').length).toBeGreaterThanOrEqual(2);
  });
});
