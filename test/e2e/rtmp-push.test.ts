/**
 * RTMP push (WCS's /rest-api/push/*) of a pulled stream to a real RTMP server (Debian's nginx + libnginx-mod-rtmp,
 * in the test's namespace); ffprobe reads it back from the server; the server restarted mid-push → the push
 * reconnects by itself; stream keys never show; WCS's codes for bad input; the SDK's own
 * webrtc-as-rtmp-republishing page publishes a camera with an rtmpUrl and the RTMP server has it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { RtmpServer } from '../harness/rtmp-server.ts';
import { launchBrowser } from '../harness/browser.ts';
import { clickWhenBound, textIs } from '../harness/sdk-pages.ts';

const run = promisify(execFile);

/** ffprobe as an independent RTMP client: the codecs and how many packets it read in `seconds`. */
async function probe(url: string, seconds = 2): Promise<{ codecs: string[]; packets: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-rw_timeout', '10000000', '-read_intervals', `%+${seconds}`, '-count_packets',
    '-show_entries', 'stream=codec_name,nb_read_packets', '-of', 'json', url], { timeout: 30_000 });
  const streams = (JSON.parse(stdout) as { streams: { codec_name: string; nb_read_packets: string }[] }).streams;
  return { codecs: streams.map((s) => s.codec_name).sort(), packets: streams.reduce((n, s) => n + Number(s.nb_read_packets), 0) };
}

describe('RTMP push to a real RTMP server', () => {
  let ns: NetNamespace;
  let a: RelayProcess;
  let b: RelayProcess;
  let rtmp: RtmpServer;
  const post = (path: string, body: unknown) => fetch(`${b.url}/rest-api/push/${path}`, { method: 'POST', body: JSON.stringify(body) });

  beforeAll(async () => {
    ns = NetNamespace.create();
    [a, b, rtmp] = await Promise.all([
      RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'demo', SIPHON_DEMO_CODEC: 'h264' }),
      RelayProcess.start(ns, RelayProcess.slot(1)),
      RtmpServer.start(ns),
    ]);
    const res = await fetch(`${b.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: a.innerWsUrl, remoteStreamName: 'demo', localStreamName: 'copy' }) });
    expect(res.status).toBe(200);
    await b.waitFor((l) => l.event === 'pull.state' && l.stream === 'copy' && l.to === 'PLAYING', 20_000);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), rtmp?.stop()]);
    ns?.destroySync();
  });

  it('a pulled stream pushed to nginx-rtmp: ffprobe reads h264 + aac back from the server; the key never shows; a restart of the server is ridden out', async () => {
    const res = await post('startup', { streamName: 'copy', rtmpUrl: `${rtmp.innerUrl}/secret-key-123`, rtmpTransponderFullUrl: true });
    expect(res.status).toBe(200);
    const push = await res.json() as { mediaSessionId: string; rtmpUrl: string; status: string };
    expect(push.rtmpUrl).toBe('rtmp://127.0.0.1:1935/live/***');
    await b.waitFor((l) => l.event === 'rtmp.state' && l.to === 'running', 20_000);

    const first = await probe(`${rtmp.url}/secret-key-123`);
    expect(first.codecs).toEqual(['aac', 'h264']);
    expect(first.packets).toBeGreaterThan(0);
    expect(b.lines.some((l) => JSON.stringify(l).includes('secret-key-123'))).toBe(false);
    expect(await (await fetch(`${b.url}/metrics`)).text()).not.toContain('secret-key-123');

    await rtmp.restart();
    const restartedAt = Date.now();
    await b.waitFor((l) => l.event === 'rtmp.state' && l.to === 'running' && Date.parse(String(l.t)) > restartedAt, 30_000);
    const [record] = await (await post('find', { streamName: 'copy' })).json() as { attempts: number; status: string; rtmpUrl: string }[];
    expect(record!.attempts).toBeGreaterThanOrEqual(2);
    expect(record!.status).toBe('PUBLISHING');
    expect((await probe(`${rtmp.url}/secret-key-123`)).codecs).toEqual(['aac', 'h264']);

    expect((await post('terminate', { mediaSessionId: push.mediaSessionId })).status).toBe(200);
    expect((await post('find_all', {})).status).toBe(404);
    const { stdout } = await run('pgrep', ['-f', 'flv.*rtmp://127.0.0.1:1935']).catch(() => ({ stdout: '' }));
    expect(stdout.trim()).toBe('');
  });

  it("WCS's codes: a URL that is not rtmp(s) → 400, an unknown stream → 404, the same stream and URL twice → 409; the key appended as WCS does", async () => {
    expect((await post('startup', { streamName: 'copy', rtmpUrl: 'http://127.0.0.1/live' })).status).toBe(400);
    expect((await post('startup', { streamName: 'nope', rtmpUrl: rtmp.innerUrl })).status).toBe(404);
    const first = await post('startup', { streamName: 'copy', rtmpUrl: rtmp.innerUrl });
    expect(first.status).toBe(200);
    expect((await first.json() as { rtmpUrl: string }).rtmpUrl).toBe('rtmp://127.0.0.1:1935/live/***'); // …/live/copy, masked
    const again = await post('startup', { streamName: 'copy', rtmpUrl: rtmp.innerUrl });
    expect({ status: again.status, error: (await again.json() as { error: string }).error }).toEqual({ status: 409, error: 'conflict' });
    await b.waitFor((l) => l.event === 'rtmp.state' && l.to === 'running' && l.target === 'rtmp://127.0.0.1:1935/live/***', 20_000);
    expect((await probe(`${rtmp.url}/copy`)).codecs).toEqual(['aac', 'h264']);
    const [listed] = await (await post('find_all', {})).json() as { mediaSessionId: string }[];
    const mediaSessionId = listed!.mediaSessionId;
    expect((await post('terminate', { mediaSessionId })).status).toBe(200);
    expect((await post('terminate', { mediaSessionId })).status).toBe(404);
  });

  it("the SDK's webrtc-as-rtmp-republishing page: a camera published with an rtmpUrl is on the RTMP server as rtmp_<name>, until the page stops", async () => {
    const { browser, close } = await launchBrowser(ns);
    try {
      const page = await browser.newPage();
      await page.goto(`${b.pageUrl}/client2/examples/demo/streaming/webrtc-as-rtmp-republishing/webrtc-as-rtmp-republishing.html`);
      await page.fill('#url', b.pageUrl.replace(/^http/, 'ws'));
      await page.fill('#rtmpUrl', rtmp.innerUrl);
      await page.fill('#streamName', 'republished');
      await clickWhenBound(page, '#publishBtn');
      await textIs(page, '#status', 'PUBLISHING');
      await b.waitFor((l) => l.event === 'rtmp.state' && l.to === 'running' && l.stream === 'republished', 30_000);
      expect((await probe(`${rtmp.url}/rtmp_republished`)).codecs).toEqual(['aac', 'h264']);
      await page.click('#publishBtn'); // the page's Stop
      await textIs(page, '#status', 'UNPUBLISHED');
      await expect.poll(async () => (await post('find_all', {})).status).toBe(404);
    } finally {
      await close();
    }
  });
});
