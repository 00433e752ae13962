/**
 * Webhooks from a real relay to a real receiver process (the hook backend, which keeps their headers): the demo stream
 * is published, an HLS client plays it and leaves, the relay stops. The receiver sees published → play.started →
 * play.stopped → unpublished for that stream, numbered 1 to 4, every one verifying as the Standard Webhooks spec says.
 * HLS is the protocol a test plays without a browser; the other players' events are the unit tests'.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { HookBackendProcess } from '../harness/hook-backend-process.ts';
import type { HookCall } from '../harness/hook-backend.ts';

const SECRET = `whsec_${Buffer.alloc(32, 'siphon-test-key').toString('base64')}`;
const KEY = Buffer.from(SECRET.slice('whsec_'.length), 'base64');

function verifies(call: HookCall): boolean {
  const { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': signature } = call.webhook;
  const expected = createHmac('sha256', KEY).update(`${id}.${ts}.${call.raw}`).digest();
  const got = Buffer.from(signature?.replace(/^v1,/, '') ?? '', 'base64');
  return Math.abs(Date.now() / 1000 - Number(ts)) < 300 && got.length === expected.length && timingSafeEqual(got, expected);
}

async function until<T>(read: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no ${what} within ${timeoutMs} ms`);
}

describe('webhooks from a real relay', () => {
  let ns: NetNamespace;
  let relay: RelayProcess;
  let receiver: HookBackendProcess;
  const events = async (type?: string) => (await receiver.calls('webhooks')).filter((c) => c.body.stream === 'demo' && (!type || c.body.type === type));

  beforeAll(async () => {
    ns = NetNamespace.create();
    receiver = await HookBackendProcess.start(ns.hostAddress, '');
    relay = await RelayProcess.start(ns, {
      SIPHON_DEMO_STREAM: 'demo', SIPHON_DEMO_CODEC: 'h264', SIPHON_WEBHOOK_URL: `${receiver.url}/webhooks`, SIPHON_WEBHOOK_SECRET: SECRET,
    });
  });

  afterAll(async () => {
    await relay?.stop();
    await receiver?.stop();
    ns?.destroySync();
  });

  it('published → play.started → play.stopped → unpublished, seq 1 to 4, each signed', async () => {
    await until(async () => (await events('stream.published'))[0], 30_000, 'stream.published');
    const playlist = `${relay.hlsUrl}/demo/demo.m3u8`;
    await until(async () => ((await fetch(playlist)).status === 200 ? true : undefined), 30_000, 'HLS playlist');
    for (let i = 0; i < 3; i += 1) {
      await (await fetch(playlist)).text();
      await new Promise((r) => setTimeout(r, 500));
    }
    // The client stops reloading: 10 s on, it has stopped.
    await until(async () => (await events('play.stopped'))[0], 25_000, 'play.stopped');
    await relay.stop();

    const calls = await events();
    expect(calls.map((c) => c.body.type)).toEqual(['stream.published', 'play.started', 'play.stopped', 'stream.unpublished']);
    expect(calls.map((c) => c.body.seq)).toEqual([1, 2, 3, 4]);
    expect(calls.every(verifies)).toBe(true);
    expect(calls.every((c) => c.webhook['webhook-id'] === c.body.id)).toBe(true);
    expect(calls[0]!.body.data).toMatchObject({ origin: 'test', video: 'H264' });
    expect(calls[2]!.body.data).toMatchObject({ protocol: 'hls', sessionId: (calls[1]!.body.data as { sessionId: string }).sessionId,
      reason: 'no playlist request for 10 s' });
    expect((calls[2]!.body.data as { bytes: number }).bytes).toBeGreaterThan(0);
    expect(calls[3]!.body.data).toMatchObject({ status: expect.any(String), bytesIn: expect.any(Number) });
    expect(relay.lines.filter((l) => l.event === 'webhook.dropped')).toEqual([]);
  });
});
