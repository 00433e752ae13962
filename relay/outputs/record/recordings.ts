/**
 * The relay's recordings: at most one per stream, started by a publish with `record: true` or WCS's REST
 * `/stream/startRecording`, kept in `SIPHON_RECORD_DIR`. A disk guard checks the directory every second while
 * anything records: over `SIPHON_RECORD_MAX_DIR_MB`, or less free space than `SIPHON_RECORD_MIN_FREE_MB`, every
 * recording stops as `failed` ("disk full: …") with its file finished, and none starts until there is room.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { readdir, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { RelayContext } from '../../context.ts';
import type { Stream } from '../../streams/stream.ts';
import { ConfigError } from '../../config.ts';
import { Recording } from './recording.ts';
import { spawnFfmpegRecorder, type SpawnRecorder } from './ffmpeg-recorder.ts';
import { recordsPath, templateProblem } from './record-file.ts';

export class RecordRefusedError extends Error {
  override name = 'RecordRefusedError';
  constructor(readonly status: 404 | 409 | 507, readonly code: string, message: string) { super(message); }
}

/** How full the record directory is: the one boundary the guard's unit tests fake. */
export type DiskUsage = (dir: string) => Promise<{ usedBytes: number; freeBytes: number }>;

export const fsDiskUsage: DiskUsage = async (dir) => {
  const entries = await readdir(dir, { withFileTypes: true });
  // A file removed between the listing and its stat holds nothing any more.
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map((e) => stat(join(dir, e.name)).then((s) => s.size, () => 0)));
  const fs = await statfs(dir);
  return { usedBytes: sizes.reduce((a, b) => a + b, 0), freeBytes: fs.bavail * fs.bsize };
};

export interface RecordSettings { dir: string; template: string; maxDirBytes: number; minFreeBytes: number; audioKbps: number }

const GUARD_INTERVAL_MS = 1000;
const MB = 1024 * 1024;

export class Recordings {
  private readonly byStream = new Map<Stream, Recording>();
  /** Every recording of this run, finished ones too, for find_all and the download route. */
  private readonly history: Recording[] = [];
  private guardTimer: NodeJS.Timeout | undefined;
  private full: string | undefined;

  constructor(private readonly ctx: Pick<RelayContext, 'log' | 'teePorts' | 'registry' | 'webhooks'>, readonly settings: RecordSettings,
    private readonly spawn: SpawnRecorder = spawnFfmpegRecorder, private readonly disk: DiskUsage = fsDiskUsage) {
    const problem = templateProblem(settings.template);
    if (problem) throw new ConfigError(`stream_record_policy_template (SIPHON_RECORD_TEMPLATE): ${problem}`);
    mkdirSync(settings.dir, { recursive: true });
  }

  all(): Recording[] { return [...this.history]; }

  /** The recording that wrote `file` (this run), if any. */
  ofFile(file: string): Recording | undefined { return this.history.find((r) => r.files.includes(file)); }

  streamById(mediaSessionId: string): Stream | undefined {
    return this.ctx.registry.all().find((s) => s.mediaSessionId === mediaSessionId && !s.isClosed);
  }

  async start(stream: Stream): Promise<Recording> {
    if (this.byStream.has(stream)) throw new RecordRefusedError(409, 'conflict', `stream "${stream.name}" is already being recorded`);
    if (!stream.codecs.audio && !stream.codecs.video) throw new RecordRefusedError(409, 'conflict', `stream "${stream.name}" has no media yet`);
    await this.checkDisk();
    if (this.full) throw new RecordRefusedError(507, 'insufficient_storage', `recording refused: ${this.full}`);
    const rec = new Recording(stream, {
      teePorts: this.ctx.teePorts, spawn: this.spawn, dir: this.settings.dir, template: this.settings.template,
      audioKbps: this.settings.audioKbps, unique: (name) => this.unique(name),
    }, this.ctx.log);
    this.byStream.set(stream, rec);
    this.history.push(rec);
    rec.on('state', () => {
      if (!rec.ended) return;
      this.byStream.delete(stream);
      this.finished(rec);
    });
    const file = await rec.open();
    rec.log.info('record.started', { file, dir: this.settings.dir });
    this.armGuard();
    return rec;
  }

  /** `record.finished`: every file the recording wrote (a source restart starts a new one), where each is served. */
  private finished(rec: Recording): void {
    this.ctx.webhooks.emit('record.finished', rec.stream.name, {
      recordingId: rec.id, result: rec.recState === 'failed' ? 'failed' : 'stopped', reason: rec.reason,
      files: rec.files.map((name) => ({ name, url: recordsPath(name) })), bytes: rec.bytes, durationMs: Date.now() - rec.startedAt,
    });
  }

  /** Stops the stream's recording; undefined when it has none. */
  async stop(stream: Stream, reason: string): Promise<Recording | undefined> {
    const rec = this.byStream.get(stream);
    await rec?.stop(reason);
    return rec;
  }

  private unique(name: string): string {
    const taken = (n: string) => existsSync(join(this.settings.dir, n)) || this.history.some((r) => r.files.includes(n));
    if (!taken(name)) return name;
    const dot = name.lastIndexOf('.');
    for (let i = 1; ; i += 1) {
      const candidate = `${name.slice(0, dot)}-${i}${name.slice(dot)}`;
      if (!taken(candidate)) return candidate;
    }
  }

  private armGuard(): void {
    if (this.guardTimer) return;
    this.guardTimer = setInterval(() => void this.guard(), GUARD_INTERVAL_MS);
  }

  /** Sets `full` to why there is no room, or clears it. */
  private async checkDisk(): Promise<void> {
    const { usedBytes, freeBytes } = await this.disk(this.settings.dir);
    const { maxDirBytes, minFreeBytes } = this.settings;
    this.full = maxDirBytes > 0 && usedBytes >= maxDirBytes
      ? `disk full: ${this.settings.dir} holds ${(usedBytes / MB).toFixed(1)} MB, the cap is ${maxDirBytes / MB} MB (SIPHON_RECORD_MAX_DIR_MB)`
      : freeBytes < minFreeBytes
        ? `disk full: ${(freeBytes / MB).toFixed(0)} MB free under ${this.settings.dir}, below SIPHON_RECORD_MIN_FREE_MB (${Math.round(minFreeBytes / MB)})`
        : undefined;
  }

  private async guard(): Promise<void> {
    if (this.byStream.size === 0) {
      clearInterval(this.guardTimer);
      this.guardTimer = undefined;
      return;
    }
    try {
      await this.checkDisk();
    } catch (err) {
      this.ctx.log.warn('record.disk_check_failed', { err });
      return;
    }
    const reason = this.full;
    if (!reason) return;
    this.ctx.log.warn('record.disk_full', { reason, stopping: [...this.byStream.values()].map((r) => r.fileName) });
    await Promise.all([...this.byStream.values()].map((r) => r.fail(reason)));
  }

  async closeAll(): Promise<void> {
    clearInterval(this.guardTimer);
    this.guardTimer = undefined;
    await Promise.all([...this.byStream.values()].map((r) => r.stop('relay shutting down')));
  }
}
