/**
 * PNG snapshots of live streams (WCS's `snapshot` message and `/rest-api/stream/snapshot`): one ffmpeg reads the
 * tee's video RTP, decodes from the next keyframe (asked for from the source) and writes one PNG to its stdout.
 *
 * The cost is bounded per stream, as WCS bounds it with `snapshot_taking_interval_ms`: while a decode runs, every
 * caller for that stream waits for the same one, and a picture is handed out again for that long after it was
 * taken. A decode that yields nothing within the timeout ends with a SnapshotError, and its ffmpeg is killed.
 */
import type { Logger } from '../../log.ts';
import type { Stream } from '../../streams/stream.ts';
import type { UdpPortPool } from '../../media/udp-port-pool.ts';
import { UdpPair } from '../../media/udp-pair.ts';
import { ProcessFeed } from '../../media/process-feed.ts';
import { FfmpegChild } from '../../media/ffmpeg-child.ts';
import { packagerSdp } from '../hls/ffmpeg-packager.ts';
import type { Codec } from '../../sdp/description.ts';

/** A snapshot that could not be taken; the message is what the client is told, `status` what REST answers. */
export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
  constructor(message: string, readonly status: 409 | 500 | 503 = 500) { super(message); }
}

export interface SnapshotSettings {
  teePorts: UdpPortPool;
  /** A picture is reused this long after it was taken (WCS's snapshot_taking_interval_ms). */
  reuseMs: number;
  /** A decode that has no picture after this long fails. */
  timeoutMs: number;
  log: Logger;
}

/** Decodes one picture of `video` arriving on `port`; the boundary the unit tests replace. */
export type DecodeOne = (video: Codec, port: number, timeoutMs: number) => Promise<Buffer>;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** A fresh decoder waits for a keyframe: ask at once, and again in case the first came before ffmpeg listened. */
const KEYFRAME_REQUESTS_MS = [0, 300, 1000, 2000];

export class Snapshots {
  private readonly taken = new Map<string, { at: number; png: string }>();
  private readonly running = new Map<string, Promise<string>>();

  constructor(private readonly settings: SnapshotSettings, private readonly decode: DecodeOne = ffmpegDecodeOne) {}

  /** A base64 PNG of the stream's current picture. */
  take(stream: Stream): Promise<string> {
    for (const [name, t] of this.taken) if (Date.now() - t.at >= this.settings.reuseMs) this.taken.delete(name); // names come and go
    const last = this.taken.get(stream.name);
    if (last && Date.now() - last.at < this.settings.reuseMs) return Promise.resolve(last.png);
    const running = this.running.get(stream.name);
    if (running) return running;
    const run = this.decodeNow(stream).finally(() => this.running.delete(stream.name));
    this.running.set(stream.name, run);
    return run;
  }

  private async decodeNow(stream: Stream): Promise<string> {
    const video = stream.codecs.video;
    if (!video) throw new SnapshotError('Stream has no video', 409);
    const started = Date.now();
    const sender = await UdpPair.bind(this.settings.teePorts).catch(() => undefined);
    const feed = sender && await ProcessFeed.reserve(this.settings.teePorts, { video }).catch(() => undefined);
    if (!sender || !feed) {
      sender?.close();
      throw new SnapshotError('No UDP port free for the decoder', 503);
    }
    const timers = KEYFRAME_REQUESTS_MS.map((ms) => setTimeout(() => stream.requestKeyframe('snapshot'), ms));
    try {
      const decoding = this.decode(video, feed.ports.video!, this.settings.timeoutMs);
      feed.connect(stream.tee, sender.rtp, { video });
      const png = (await decoding).toString('base64');
      this.taken.set(stream.name, { at: Date.now(), png });
      this.settings.log.info('snapshot.taken', { stream: stream.name, ms: Date.now() - started, bytes: png.length });
      return png;
    } catch (err) {
      this.settings.log.warn('snapshot.failed', { stream: stream.name, reason: (err as Error).message });
      throw err instanceof SnapshotError ? err : new SnapshotError(`Snapshot failed: ${(err as Error).message}`);
    } finally {
      for (const t of timers) clearTimeout(t);
      feed.release();
      sender.close();
    }
  }
}

export function snapshotArgs(video: Codec, port: number): string[] {
  const sdp = `data:application/sdp;base64,${Buffer.from(packagerSdp({ codecs: { video }, ports: { video: port } })).toString('base64')}`;
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-nostats', '-protocol_whitelist', 'data,udp,rtp',
    '-fpsprobesize', '0', '-analyzeduration', '3000000', '-probesize', '5000000',
    '-i', sdp, '-an', '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', 'pipe:1',
  ];
}

const ffmpegDecodeOne: DecodeOne = (video, port, timeoutMs) => new Promise((resolve, reject) => {
  const ffmpeg = new FfmpegChild({ args: snapshotArgs(video, port), stdout: 'pipe', dieWithRelay: true, graceMs: 500 });
  const chunks: Buffer[] = [];
  ffmpeg.child.stdout!.on('data', (b: Buffer) => chunks.push(b));
  // The caller gives the ports back once this settles: it settles on `close`, when ffmpeg is gone.
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; void ffmpeg.stop(); }, timeoutMs);
  ffmpeg.child.once('close', (code) => {
    clearTimeout(timer);
    if (timedOut) return reject(new SnapshotError(`No picture within ${timeoutMs} ms (no keyframe from the source)`));
    const png = Buffer.concat(chunks);
    if (code === 0 && png.subarray(0, 8).equals(PNG_SIGNATURE)) resolve(png);
    else reject(new SnapshotError(`Decoder failed: ${ffmpeg.lastError || `exit ${code}`}`));
  });
});
