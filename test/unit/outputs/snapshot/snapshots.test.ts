/**
 * The snapshot taker's bounded cost, behind its one faked boundary (the decode of one picture): callers during a
 * decode share it, a picture is reused for snapshot_taking_interval_ms, a failure says why and is not reused, and the
 * source is asked for a keyframe; the real ffmpeg's timeout. ffmpeg decoding a real stream is in test/e2e/wcs-parity.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { Snapshots, SnapshotError, snapshotArgs, type DecodeOne } from '../../../../relay/outputs/snapshot/snapshots.ts';
import { UdpPortPool } from '../../../../relay/media/udp-port-pool.ts';
import { Logger, setLogLevel } from '../../../../relay/log.ts';
import { vp8 } from '../../../../relay/sdp/description.ts';

setLogLevel('error');

/** Whether a snapshot's ffmpeg (the only `image2pipe -c:v png` one here) is running; pgrep exits 1 for none. */
function snapshotFfmpegRunning(): boolean {
  try { execFileSync('pgrep', ['-f', 'image2pipe -c:v png']); return true; } catch { return false; }
}

function fakeStream(name: string, video = true) {
  const stream = {
    name, keyframeRequests: 0, sinks: 0,
    codecs: video ? { video: vp8(96) } : {},
    requestKeyframe() { stream.keyframeRequests += 1; },
    tee: { addSink: () => { stream.sinks += 1; return () => { stream.sinks -= 1; }; } },
  };
  return stream;
}

function taker(decode: DecodeOne, reuseMs = 3000) {
  return new Snapshots({ teePorts: new UdpPortPool({ from: 47000, to: 47099 }, 65536), reuseMs, timeoutMs: 500, log: new Logger() }, decode);
}

describe('Snapshots', () => {
  it('callers during a decode share it; the picture is reused within the interval, then taken again', async () => {
    let decodes = 0;
    let finish!: (png: Buffer) => void;
    const s = taker(() => { decodes += 1; return new Promise((resolve) => { finish = resolve; }); }, 200);
    const cam = fakeStream('cam');
    const first = [s.take(cam as never), s.take(cam as never), s.take(cam as never)];
    await vi.waitFor(() => expect(decodes).toBe(1));
    expect(cam.sinks).toBe(1); // the tee feeds the decoder while it runs
    finish(Buffer.from('png-1'));
    expect(await Promise.all(first)).toEqual(Array(3).fill(Buffer.from('png-1').toString('base64')));
    expect(cam.sinks).toBe(0);
    expect(cam.keyframeRequests).toBeGreaterThanOrEqual(1);
    expect(await s.take(cam as never)).toBe(Buffer.from('png-1').toString('base64'));
    expect(decodes).toBe(1);
    const later = Date.now() + 250; // past the interval
    vi.spyOn(Date, 'now').mockReturnValue(later);
    const again = s.take(cam as never);
    await vi.waitFor(() => expect(decodes).toBe(2));
    finish(Buffer.from('png-2'));
    expect(await again).toBe(Buffer.from('png-2').toString('base64'));
    vi.restoreAllMocks();
  });

  it('two streams decode side by side; a failure says why, holds no port, and the next call tries again', async () => {
    const calls: number[] = [];
    const s = taker(async (_video, port) => { calls.push(port); if (calls.length === 1) throw new SnapshotError('No picture within 500 ms'); return Buffer.from('ok'); });
    await expect(s.take(fakeStream('a') as never)).rejects.toThrow('No picture within 500 ms');
    expect(await s.take(fakeStream('a') as never)).toBe(Buffer.from('ok').toString('base64'));
    expect(await s.take(fakeStream('b') as never)).toBe(Buffer.from('ok').toString('base64'));
    expect(calls).toHaveLength(3);
  });

  it('an audio-only stream has no picture: SnapshotError (REST: 409), no decode', async () => {
    const decode = vi.fn<DecodeOne>();
    await expect(taker(decode).take(fakeStream('radio', false) as never)).rejects.toMatchObject({ name: 'SnapshotError', message: 'Stream has no video', status: 409 });
    expect(decode).not.toHaveBeenCalled();
  });

  it('the real ffmpeg, fed nothing: fails after the timeout saying why, and is gone by then', async () => {
    const s = new Snapshots({ teePorts: new UdpPortPool({ from: 47100, to: 47199 }, 65536), reuseMs: 3000, timeoutMs: 300, log: new Logger() });
    await expect(s.take(fakeStream('silent') as never)).rejects.toThrow(new SnapshotError('No picture within 300 ms (no keyframe from the source)'));
    expect(snapshotFfmpegRunning()).toBe(false); // the promise settles on ffmpeg's close, so its ports are free
  });

  it('ffmpeg reads the tee\'s RTP by SDP and writes one PNG to stdout', () => {
    const args = snapshotArgs(vp8(96), 47010);
    const sdp = Buffer.from(args[args.indexOf('-i') + 1]!.split(',')[1]!, 'base64').toString();
    expect(sdp).toContain('m=video 47010 RTP/AVP 96');
    expect(args.slice(-8)).toEqual(['-an', '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', 'pipe:1']);
  });
});
