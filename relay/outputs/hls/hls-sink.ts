/**
 * A stream's HLS output: a sink on the stream's tee that feeds one packager process and cuts what it
 * writes into the stream's MediaWindow. States: idle (waiting for codecs) → starting (packager spawned,
 * no part yet) → running; restarting while a new packager is made (the source reconnected or changed
 * codecs, or the packager died: the window goes on with a discontinuity); stopped (the stream ended or
 * nobody watched: the window gets EXT-X-ENDLIST). With H.264 passed through, it asks the source for a
 * keyframe shortly before each segment is due, so segments start on keyframes even with a long GOP.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../log.ts';
import type { Stream } from '../../streams/stream.ts';
import type { Sink, SinkEnd, SinkState } from '../../streams/sink.ts';
import { UdpPair } from '../../media/udp-pair.ts';
import { FedProcess, ProcessFeed } from '../../media/process-feed.ts';
import type { UdpPortPool } from '../../media/udp-port-pool.ts';
import { Machine } from '../../machine.ts';
import { KEYFRAME_CUT_SHARE, MediaWindow, type WindowSettings } from './media-window.ts';
import type { EncoderSettings, PackagerProcess, SpawnPackager } from './ffmpeg-packager.ts';
import type { Fragment } from './fmp4.ts';

export interface HlsSettings extends WindowSettings { encoder: EncoderSettings }

export interface HlsSinkDeps { log: Logger; teePorts: UdpPortPool; spawn: SpawnPackager; settings: HlsSettings }

export interface HlsSinkEvents { state: [SinkState] }

/** How early before a segment is due the keyframe is asked for: about one PLI round trip through WebRTC. */
const KEYFRAME_LEAD_SECONDS = 0.25;
const RESTART_MAX_MS = 10_000;
/**
 * Until its first segment is complete the packager is asked for keyframes again and again: the first may
 * come before ffmpeg has bound its socket, a WebRTC sender's next one may be minutes away, and the second
 * one ends the first segment (players start only once a segment is complete).
 */
const START_KEYFRAME_INTERVAL_MS = 300;

export class HlsSink extends EventEmitter<HlsSinkEvents> implements Sink {
  readonly kind = 'hls';
  readonly needs = { kinds: ['audio', 'video'] as const, keyframeOnStart: true };
  readonly window: MediaWindow;
  readonly log: Logger;
  /** Packagers started after the first (reconnects, codec changes, crashes). */
  restarts = 0;
  readonly served = { playlists: 0, inits: 0, parts: 0, segments: 0, bytes: 0 };
  private readonly packager = new FedProcess<PackagerProcess>();
  private sender: UdpPair | undefined;
  /** Its generation moves on whenever the current packager is no longer wanted; its late events are ignored. */
  private readonly m: Machine<SinkState>;
  private timelineEnd = 0;
  private sawKeyframe = false;
  private keyframeAskedFor = -1;
  private keyframeTimer: NodeJS.Timeout | undefined;
  private opened = false;
  private spawnedAt = 0;
  /** Starts and restarts run one after another, so two reconnects in a row never leave two packagers. */
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly stream: Stream, private readonly deps: HlsSinkDeps) {
    super();
    this.log = stream.log.child({ output: 'hls' });
    this.m = new Machine<SinkState>({ initial: 'idle', log: this.log, event: 'hls.state', infoField: 'reason', ended: ['stopped'],
      retryCapMs: RESTART_MAX_MS, onChange: (to) => this.emit('state', to) });
    this.window = new MediaWindow(deps.settings);
  }

  get id(): string { return this.stream.name; }
  get state(): SinkState { return this.m.state; }
  get lastError(): string | null { return this.m.lastError; }

  /** Whether video is encoded here (not H.264 at the source). */
  get transcodes(): boolean { return this.packager.process?.transcodes ?? false; }

  /** Attaches to the stream and starts packaging once it knows its codecs. */
  async open(): Promise<void> {
    if (this.opened) return;
    this.opened = true;
    this.sender = await UdpPair.bind(this.deps.teePorts);
    if (this.stream.isClosed) { await this.finish('stream ended before its HLS output opened'); return; }
    this.stream.attach(this);
    if (this.hasCodecs()) await this.serial(() => this.startPackager('first request'));
  }

  private serial(job: () => Promise<void>): Promise<void> {
    const run = this.queue.then(job);
    this.queue = run.catch((err) => this.log.error('hls.start_failed', { err }));
    return run;
  }

  private hasCodecs(): boolean { return !!(this.stream.codecs.audio || this.stream.codecs.video); }

  sourceStarted(): void {
    if (this.state === 'stopped' || !this.opened) return;
    void this.restart(this.state === 'idle' ? 'codecs known' : 'source restarted');
  }

  async codecsChanged(): Promise<void> { /* sourceStarted follows with the new codecs */ }

  janusLost(): void { /* HLS does not go through Janus */ }

  async streamClosed(end: SinkEnd): Promise<void> {
    await this.finish(`stream ended: ${end.info || end.status}`);
  }

  /** Ends the output without the stream ending (nobody watched for the idle time, the relay stops). */
  async close(reason: string): Promise<void> {
    this.stream.detach(this);
    await this.finish(reason);
  }

  private async finish(reason: string): Promise<void> {
    if (this.state === 'stopped') return;
    this.m.next();
    this.m.cancelRetry();
    this.m.to('stopped', reason);
    await this.stopPackager();
    this.sender?.close();
    this.window.end();
  }

  private restart(reason: string): Promise<void> {
    return this.serial(() => this.restartNow(reason));
  }

  private async restartNow(reason: string): Promise<void> {
    if (this.state === 'stopped') return;
    this.m.next();
    this.m.cancelRetry();
    const wasRunning = this.packager.process !== undefined;
    if (wasRunning) this.m.to('restarting', reason);
    await this.stopPackager();
    if (wasRunning) this.restarts += 1;
    await this.startPackager(reason);
  }

  private async startPackager(reason: string): Promise<void> {
    if (this.state === 'stopped' || !this.hasCodecs() || !this.sender) return;
    const generation = this.m.next();
    const { codecs } = this.stream;
    let feed: ProcessFeed;
    try {
      feed = await ProcessFeed.reserve(this.deps.teePorts, codecs);
    } catch (err) {
      this.onPackagerExit(generation, `no UDP ports for the packager: ${(err as Error).message}`);
      return;
    }
    if (!this.m.current(generation)) { feed.release(); return; }
    const { ports } = feed;
    if (this.state !== 'restarting') this.m.to('starting', reason);
    const { settings } = this.deps;
    const packager = this.deps.spawn({ codecs, ports, partSeconds: settings.partSeconds, segmentSeconds: settings.segmentSeconds,
      timeOffset: this.timelineEnd, encoder: settings.encoder }, this.log);
    this.sawKeyframe = false;
    this.spawnedAt = Date.now();
    packager.on('init', (init) => {
      if (!this.m.current(generation)) return;
      this.log.debug('hls.init', { msSinceSpawn: Date.now() - this.spawnedAt, tracks: init.tracks.map((t) => t.kind) });
      this.window.addInit(init.bytes);
    });
    packager.on('fragment', this.m.guard(generation, (f: Fragment) => this.onFragment(f)));
    packager.once('exited', (why) => this.onPackagerExit(generation, why));
    feed.connect(this.stream.tee, this.sender.rtp, codecs);
    this.packager.set(packager, feed);
    this.stream.requestKeyframe('hls packager started');
    clearInterval(this.keyframeTimer);
    this.keyframeTimer = setInterval(() => this.stream.requestKeyframe('hls packager waits for a keyframe'), START_KEYFRAME_INTERVAL_MS);
  }

  private onFragment(f: Fragment): void {
    const video = f.runs.find((r) => r.kind === 'video');
    const audio = f.runs.find((r) => r.kind === 'audio');
    // Until the first keyframe a player could not decode anything: skip what comes before it.
    if (this.stream.codecs.video && !this.sawKeyframe) {
      if (!video?.keyframe) return;
      this.sawKeyframe = true;
    }
    const main = video ?? audio;
    if (!main || main.duration <= 0) return;
    this.timelineEnd = Math.max(this.timelineEnd, ...f.runs.map((r) => r.start + r.duration));
    this.window.addPart(f.bytes, main.duration, video ? video.keyframe : true);
    if (this.window.runHasSegment || this.transcodes) clearInterval(this.keyframeTimer);
    if (this.state !== 'running') {
      this.m.succeeded();
      this.log.info('hls.first_part', { msSinceSpawn: Date.now() - this.spawnedAt, transcodes: this.transcodes });
      this.m.to('running', 'first part');
    }
    this.askKeyframeBeforeSegmentEnds();
  }

  private askKeyframeBeforeSegmentEnds(): void {
    const open = this.window.open;
    if (this.transcodes || !this.stream.codecs.video || !open || open.msn === this.keyframeAskedFor) return;
    const { segmentSeconds } = this.deps.settings;
    // Not before the window would cut at a keyframe, or it would make a short segment.
    if (open.duration < Math.max(segmentSeconds * KEYFRAME_CUT_SHARE, segmentSeconds - KEYFRAME_LEAD_SECONDS)) return;
    this.keyframeAskedFor = open.msn;
    this.stream.requestKeyframe('hls segment due');
  }

  private onPackagerExit(generation: number, why: string): void {
    if (!this.m.current(generation)) return;
    this.m.lastError = why;
    const wait = this.m.retry(() => {
      this.restarts += 1;
      void this.serial(() => this.startPackager('after a packager failure'));
    });
    this.log.error('hls.packager_failed', { why, restartInMs: wait });
    void this.stopPackager();
    this.m.to('restarting', why);
  }

  private async stopPackager(): Promise<void> {
    clearInterval(this.keyframeTimer);
    await this.packager.stop();
  }
}
