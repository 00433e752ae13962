/**
 * Every stream's HLS output on this relay, started on demand like a viewer: the first playlist request
 * for a stream opens its HlsSink and waits for its first part; a sink nobody asked for during the idle
 * time stops (unless auto start keeps every stream packaged). A sink whose stream ended stays readable,
 * with EXT-X-ENDLIST, for a short linger, then its URLs answer 404.
 */
import type { RelayContext } from '../../context.ts';
import type { Stream } from '../../streams/stream.ts';
import { HlsSink, type HlsSettings } from './hls-sink.ts';
import { spawnFfmpegPackager, type SpawnPackager } from './ffmpeg-packager.ts';
import { HlsViewers } from './hls-viewers.ts';

export interface HlsOutputSettings extends HlsSettings {
  autoStart: boolean;
  idleStopMs: number;
  /** How long an ended stream's playlist (with EXT-X-ENDLIST) is still served. */
  endedLingerMs: number;
  /** How long the first request waits for the first part. */
  firstPartTimeoutMs: number;
}

interface Entry { sink: HlsSink; lastRequestAt: number; endedAt: number; viewers: HlsViewers }

/** A client counts as a viewer while it reloads the playlist within this time (and has stopped after it). */
const VIEWER_WINDOW_MS = 10_000;
const SWEEP_MS = 1000;

export class HlsOutputs {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;
  /** Sinks ever opened and their requests, for /metrics (counters never go down). */
  readonly totals = { opened: 0, playlists: 0, inits: 0, parts: 0, segments: 0, bytes: 0 };

  constructor(private readonly ctx: RelayContext, readonly settings: HlsOutputSettings,
    private readonly spawn: SpawnPackager = spawnFfmpegPackager) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(SWEEP_MS, settings.idleStopMs / 2, settings.endedLingerMs / 2));
    this.sweeper.unref();
    if (settings.autoStart) ctx.registry.on('added', (stream) => void this.start(stream).catch((err) =>
      ctx.log.error('hls.auto_start_failed', { stream: stream.name, err })));
  }

  /** The output of `name` if one exists (live or lingering after its stream ended). */
  get(name: string): HlsSink | undefined { return this.entries.get(name)?.sink; }

  all(): HlsSink[] { return [...this.entries.values()].map((e) => e.sink); }

  viewers(name: string): number {
    return this.entries.get(name)?.viewers.countSince(Date.now() - VIEWER_WINDOW_MS) ?? 0;
  }

  /**
   * The output for a request: opened if the stream exists and has none (or only an ended one from an
   * earlier stream of that name). Undefined when there is no such stream and no lingering output.
   */
  async forRequest(name: string, client: string): Promise<HlsSink | undefined> {
    // A relay of an edge's CDN asks the edge for a copy of a stream it lacks (relay.ts), then packages it.
    const stream = this.ctx.registry.get(name) ?? (this.entries.has(name) ? undefined : await this.ctx.demand?.(name));
    let entry = this.entries.get(name);
    if (stream && (!entry || (entry.sink.state === 'stopped' && entry.sink.stream !== stream))) {
      await this.start(stream);
      entry = this.entries.get(name);
    }
    if (!entry) return undefined;
    entry.lastRequestAt = Date.now();
    entry.viewers.reloaded(client);
    return entry.sink;
  }

  private async start(stream: Stream): Promise<HlsSink> {
    const existing = this.entries.get(stream.name);
    if (existing && existing.sink.stream === stream) return existing.sink;
    // An earlier stream of this name, lingering: its viewers' plays ended with it.
    existing?.viewers.stopAll('the stream ended');
    const sink = new HlsSink(stream, { log: this.ctx.log, teePorts: this.ctx.teePorts, spawn: this.spawn, settings: this.settings });
    const entry: Entry = { sink, lastRequestAt: Date.now(), endedAt: 0, viewers: new HlsViewers(stream.name, this.ctx.webhooks) };
    this.entries.set(stream.name, entry);
    this.totals.opened += 1;
    sink.on('state', (s) => { if (s === 'stopped') entry.endedAt = Date.now(); });
    try {
      await sink.open();
    } catch (err) {
      if (this.entries.get(stream.name) === entry) this.remove(stream.name, entry, 'the HLS output could not start');
      await sink.close('open failed');
      throw err;
    }
    return sink;
  }

  count(sink: HlsSink, what: 'playlists' | 'inits' | 'parts' | 'segments', bytes: number, client: string): void {
    const entry = this.entries.get(sink.id);
    if (entry?.sink === sink) entry.viewers.served(client, bytes);
    sink.served[what] += 1;
    sink.served.bytes += bytes;
    this.totals[what] += 1;
    this.totals.bytes += bytes;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [name, e] of this.entries) {
      e.viewers.sweep(now - VIEWER_WINDOW_MS, `no playlist request for ${VIEWER_WINDOW_MS / 1000} s`);
      if (e.sink.state === 'stopped') {
        if (now - e.endedAt >= this.settings.endedLingerMs) this.remove(name, e, 'the stream ended');
      } else if (!this.settings.autoStart && now - e.lastRequestAt >= this.settings.idleStopMs) {
        this.ctx.log.info('hls.idle_stop', { stream: name, idleMs: now - e.lastRequestAt });
        this.remove(name, e, 'the HLS output stopped');
        void e.sink.close(`no request for ${this.settings.idleStopMs} ms`);
      }
    }
  }

  private remove(name: string, e: Entry, reason: string): void {
    this.entries.delete(name);
    e.viewers.stopAll(reason);
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    const sinks = this.all();
    for (const [name, e] of this.entries) this.remove(name, e, 'relay shutting down');
    await Promise.all(sinks.map((s) => s.close('relay stopping')));
  }
}
