/**
 * `/rest-api/pull/push`, the reverse of a pull: relay A publishes its demo stream on relay B as a WCS client;
 * the SDK Player on B plays it; B restarted under the push → A's push recovers by itself; WCS's find_all lists
 * the push with the pulls, terminate ends it and B's stream with it; bad input gets clear 4xx answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { launchBrowser, sampleFrames } from '../harness/browser.ts';
import { openPlayer } from '../harness/sdk-pages.ts';

interface Record { localStreamName: string; remoteStreamName: string; uri: string; status: string; attempts: number; direction: string; bitrates: { bytesOut: number } }

describe('pull/push: relay A publishes a local stream on relay B', () => {
  let ns: NetNamespace;
  let a: RelayProcess;
  let b: RelayProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  const bEnv = RelayProcess.slot(1);

  beforeAll(async () => {
    ns = NetNamespace.create();
    ns.addHosts({ 'rebind.test': '169.254.169.254' });
    [a, b] = await Promise.all([
      RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'demo', SIPHON_PULL_RETRY_MAX_MS: '3000' }),
      RelayProcess.start(ns, bEnv),
    ]);
    ({ browser, close: closeBrowser } = await launchBrowser(ns));
  });

  afterAll(async () => {
    await closeBrowser?.();
    await Promise.all([a?.stop(), b?.stop()]);
    ns?.destroySync();
  });

  const call = (path: string, body?: unknown) => fetch(`${a.url}/rest-api/pull/${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const records = async () => { const res = await call('find_all'); return res.status === 404 ? [] : await res.json() as Record[]; };
  const janusHandles = async (r: RelayProcess) => Number(/^siphon_janus_handles (\d+)$/m.exec(await (await fetch(`${r.url}/metrics`)).text())?.[1]);
  const streamsOnB = async () => {
    const res = await fetch(`${b.url}/rest-api/stream/find_all`);
    return res.status === 404 ? [] : (await res.json() as { name: string; mediaType: string }[]).filter((s) => s.mediaType === 'publish').map((s) => s.name);
  };

  it('the demo pushed to B plays in the SDK Player on B; B restarted → the push comes back by itself; terminate ends it on B', async () => {
    const handlesBefore = await janusHandles(a);
    const res = await call('push', { uri: b.innerWsUrl, localStreamName: 'demo', remoteStreamName: 'pushed' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ localStreamName: 'demo', remoteStreamName: 'pushed', direction: 'push' });
    await expect.poll(async () => (await records())[0]?.status, { timeout: 20_000 }).toBe('PUBLISHING');
    expect(await streamsOnB()).toEqual(['pushed']);

    const player = await openPlayer(browser, b.pageUrl, 'pushed');
    const frames = await sampleFrames(player.page, 2);
    expect(frames[2]!).toBeGreaterThan(frames[0]!);
    await player.page.close();

    await b.stop();
    await a.waitFor((l) => l.event === 'push.state' && l.to === 'FAILED', 15_000);
    b = await RelayProcess.start(ns, bEnv);
    await expect.poll(async () => (await records())[0]?.status, { timeout: 30_000 }).toBe('PUBLISHING');
    const [record] = await records();
    expect(record!.attempts).toBeGreaterThanOrEqual(2);
    expect(record!.bitrates.bytesOut).toBeGreaterThan(0);
    const again = await openPlayer(browser, b.pageUrl, 'pushed');
    const more = await sampleFrames(again.page, 2);
    expect(more[2]!).toBeGreaterThan(more[0]!);
    await again.page.close();

    const ended = await call('terminate', { localStreamName: 'demo', remoteStreamName: 'pushed' });
    expect(ended.status).toBe(200);
    expect(await ended.json()).toMatchObject([{ status: 'TERMINATED', direction: 'push' }]);
    await expect.poll(streamsOnB, { timeout: 10_000 }).toEqual([]);
    expect((await call('find_all')).status).toBe(404);
    // A let go of the push's NoSIP leg, and its demo goes on.
    await expect.poll(() => janusHandles(a)).toBe(handlesBefore);
    expect(await (await fetch(`${a.url}/health`)).json()).toMatchObject({ testSource: { stream: 'demo' } });
  });

  it('clear refusals: not ws(s):// → 400, an unknown local stream → 404, the same remote name twice → 409; nothing half-made', async () => {
    const bad = await call('push', { uri: 'http://127.0.0.1:1/whip', localStreamName: 'demo', remoteStreamName: 'x' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'bad_request' });
    const unknown = await call('push', { uri: b.innerWsUrl, localStreamName: 'nope', remoteStreamName: 'x' });
    expect(unknown.status).toBe(404);
    expect((await unknown.json() as { message: string }).message).toContain('nope');
    expect((await call('find_all')).status).toBe(404);

    expect((await call('push', { uri: b.innerWsUrl, localStreamName: 'demo', remoteStreamName: 'twice' })).status).toBe(200);
    const dup = await call('push', { uri: b.innerWsUrl, localStreamName: 'demo', remoteStreamName: 'twice' });
    expect(dup.status).toBe(409);
    expect(await records()).toHaveLength(1);
    expect((await call('terminate', { remoteStreamName: 'twice' })).status).toBe(200);
  });

  it('a pull or push toward a name that resolves to a cloud metadata address is refused with 403, nothing dialled', async () => {
    const seen = a.lines.length;
    for (const [path, body] of [['pull', { uri: 'ws://rebind.test:8080', remoteStreamName: 's', localStreamName: 'meta' }],
      ['push', { uri: 'ws://rebind.test:8080', localStreamName: 'demo', remoteStreamName: 'meta' }],
      ['pull', { uri: 'http://rebind.test/whep/s', localStreamName: 'meta' }]] as const) {
      const res = await call(path, body);
      expect(res.status).toBe(403);
      expect((await res.json() as { message: string }).message).toBe(
        `uri: rebind.test resolves to 169.254.169.254, a cloud metadata address; a ${path} there is refused unless pull_allowed_origins (SIPHON_PULL_ALLOWED_ORIGINS) names it`);
    }
    expect((await call('find_all')).status).toBe(404);
    expect(a.lines.slice(seen).some((l) => l.event === 'pull.created' || l.event === 'push.created')).toBe(false);
  });
});
