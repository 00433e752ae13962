/**
 * Recording: the SDK's own stream_recording page records 10 s of a camera (H.264 here, so MP4 with AAC); its
 * download link serves a file ffprobe reads with that duration, with byte ranges. WCS's REST start/stopRecording
 * records the VP8 demo as WebM; a relay SIGKILLed mid-recording leaves a readable, finished file; the disk cap
 * stops a recording with a clear state and refuses the next one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { launchBrowser } from '../harness/browser.ts';
import { clickWhenBound, textIs } from '../harness/sdk-pages.ts';

const run = promisify(execFile);
const RECORDING_PAGE = '/client2/examples/demo/streaming/stream_recording/recording.html';

async function probe(path: string): Promise<{ duration: number; codecs: string[] }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_name', '-of', 'json', path]);
  const j = JSON.parse(stdout) as { format: { duration?: string }; streams: { codec_name: string }[] };
  return { duration: Number(j.format.duration), codecs: j.streams.map((s) => s.codec_name).sort() };
}

interface RecordingRecord { fileName: string; state: string; bytes: number; lastError: string | null; url: string }

describe('recording', () => {
  let ns: NetNamespace;
  let dir: string;
  let relay: RelayProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  const env = () => ({ SIPHON_DEMO_STREAM: 'demo', SIPHON_CODECS: 'opus,h264,vp8', SIPHON_RECORD_DIR: dir });
  const rest = (path: string, body: unknown) => fetch(`${relay.url}/rest-api/${path}`, { method: 'POST', body: JSON.stringify(body) });
  const recordings = async () => await (await rest('recorder/find_all', {})).json() as RecordingRecord[];

  beforeAll(async () => {
    ns = NetNamespace.create();
    dir = mkdtempSync(join(tmpdir(), 'siphon-records-'));
    relay = await RelayProcess.start(ns, env());
    ({ browser, close: closeBrowser } = await launchBrowser(ns));
  });

  afterAll(async () => {
    await closeBrowser?.();
    await relay?.stop();
    ns?.destroySync();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the SDK's stream_recording page records 10 s; its link serves an MP4 (h264 + aac) ffprobe reads as 10 ± 1 s, seekable by range", async () => {
    const page = await browser.newPage();
    await page.goto(relay.pageUrl + RECORDING_PAGE);
    await clickWhenBound(page, '#publishBtn');
    await textIs(page, '#status', 'PUBLISHING');
    await page.waitForTimeout(10_000); // the length of the recording, not a wait for an event
    await clickWhenBound(page, '#publishBtn');
    await textIs(page, '#status', 'UNPUBLISHED');
    const href = await page.getAttribute('#link', 'href');
    expect(href).toMatch(/^http:\/\/127\.0\.0\.1:8080\/client\/records\/[A-Za-z0-9]+-\d+\.mp4$/);
    await page.close();

    const url = `${relay.url}${new URL(href!).pathname}`;
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    const file = join(dir, 'downloaded.mp4');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const { duration, codecs } = await probe(file);
    expect(codecs).toEqual(['aac', 'h264']);
    // The right duration is how long the camera was published: from the relay's PUBLISHING to its UNPUBLISHED.
    const at = (to: string) => Date.parse(String(relay.lines.find((l) => l.event === 'media_session.status' && l.role === 'publisher' && l.to === to)!.t));
    const published = (at('UNPUBLISHED') - at('PUBLISHING')) / 1000;
    expect(published).toBeGreaterThanOrEqual(10);
    expect(Math.abs(duration - published)).toBeLessThanOrEqual(1);
    const ranged = await fetch(url, { headers: { range: 'bytes=100-199' } });
    expect(ranged.status).toBe(206);
    expect((await ranged.arrayBuffer()).byteLength).toBe(100);
    rmSync(file);
  });

  it('REST start/stopRecording of the VP8 demo writes WebM (vp8 + opus, no transcode); bad input gets 4xx', async () => {
    expect((await rest('stream/startRecording', { mediaSessionId: 'nope' })).status).toBe(404);
    expect((await rest('stream/startRecording', {})).status).toBe(400);
    const started = await rest('stream/startRecording', { mediaSessionId: 'test-demo' });
    expect(started.status).toBe(200);
    const rec = await started.json() as RecordingRecord;
    expect(rec.fileName).toMatch(/^demo-\d+\.webm$/);
    expect((await rest('stream/startRecording', { mediaSessionId: 'test-demo' })).status).toBe(409);
    await expect.poll(async () => (await recordings()).find((r) => r.fileName === rec.fileName)?.bytes ?? 0, { timeout: 15_000 }).toBeGreaterThan(100_000);
    const stopped = await rest('stream/stopRecording', { mediaSessionId: 'test-demo' });
    expect(stopped.status).toBe(200);
    expect(await stopped.json()).toMatchObject({ state: 'stopped', fileName: rec.fileName });
    expect((await rest('stream/stopRecording', { mediaSessionId: 'test-demo' })).status).toBe(404);
    const { duration, codecs } = await probe(join(dir, rec.fileName));
    expect(codecs).toEqual(['opus', 'vp8']);
    expect(duration).toBeGreaterThan(1);
    expect(relay.lines.some((l) => l.event === 'record.recorder_spawned' && String(l.path).endsWith('.webm'))).toBe(true);
  });

  it('a relay SIGKILLed mid-recording leaves a finished, readable file; then the disk cap stops a recording as failed and refuses the next (507)', async () => {
    const started = await (await rest('stream/startRecording', { mediaSessionId: 'test-demo' })).json() as RecordingRecord;
    await expect.poll(async () => (await recordings()).find((r) => r.fileName === started.fileName)?.bytes ?? 0, { timeout: 15_000 }).toBeGreaterThan(100_000);
    relay.child.kill('SIGKILL');
    await relay.exited;
    await expect.poll(async () => (await run('pgrep', ['-f', started.fileName]).catch(() => ({ stdout: '' }))).stdout.trim(), { timeout: 10_000 }).toBe('');
    const killed = await probe(join(dir, started.fileName));
    expect(killed.codecs).toEqual(['opus', 'vp8']);
    expect(killed.duration).toBeGreaterThan(1);

    // A cap 150 kB above what the directory holds (a filler file tops it up), so the next recording reaches it soon.
    const used = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    const capMb = Math.ceil(used / 2 ** 20) + 1;
    writeFileSync(join(dir, 'filler.bin'), Buffer.alloc(capMb * 2 ** 20 - used - 150_000));
    relay = await RelayProcess.start(ns, { ...env(), SIPHON_RECORD_MAX_DIR_MB: String(capMb) });
    const capped = await (await rest('stream/startRecording', { mediaSessionId: 'test-demo' })).json() as RecordingRecord;
    await expect.poll(async () => (await recordings())[0]?.state, { timeout: 30_000 }).toBe('failed');
    const [record] = await recordings();
    expect(record!.lastError).toMatch(/^disk full: .* the cap is \d+ MB \(SIPHON_RECORD_MAX_DIR_MB\)$/);
    expect((await probe(join(dir, capped.fileName))).codecs).toEqual(['opus', 'vp8']);
    const refused = await rest('stream/startRecording', { mediaSessionId: 'test-demo' });
    expect(refused.status).toBe(507);
    expect(await refused.json()).toMatchObject({ error: 'insufficient_storage' });
  });
});
