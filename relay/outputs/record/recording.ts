/**
 * One recording of a stream: a sink on its tee feeding one ffmpeg that writes the file. States:
 *
 *   starting → recording        ffmpeg runs and the file grows
 *   recording → recording       the source restarted (a pull's reconnect: new RTP timing, maybe new codecs):
 *                               the file is finished and the next one begins (`files` lists them all)
 *   any → stopping → stopped    stop asked (REST, the publisher's end, relay shutdown): the trailer is written
 *   any → stopping → failed     ffmpeg died, or the disk guard stopped it (`lastError` says why)
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { join } from 'node:path';
import type { Logger } from '../../log.ts';
import type { Stream } from '../../streams/stream.ts';
import type { Sink, SinkEnd, SinkState } from '../../streams/sink.ts';
import { UdpPair } from '../../media/udp-pair.ts';
import { FedProcess, ProcessFeed } from '../../media/process-feed.ts';
import type { UdpPortPool } from '../../media/udp-port-pool.ts';
import { INPUT_TIMEOUT_S, type RecorderProcess, type SpawnRecorder } from './ffmpeg-recorder.ts';
import { recordFileName } from './record-file.ts';
import { Machine } from '../../machine.ts';

export type RecordingState = 'starting' | 'recording' | 'stopping' | 'stopped' | 'failed';

export interface RecordingDeps {
  teePorts: UdpPortPool;
  spawn: SpawnRecorder;
  dir: string;
  template: string;
  audioKbps: number;
  /** A name not taken yet in the directory (a second recording in the same millisecond gets a suffix). */
  unique: (fileName: string) => string;
}

/** ffmpeg starts a file on a keyframe: asked for at once and a few times more while it probes. */
const KEYFRAME_REQUESTS_MS = [0, 500, 1000, 2000];

export class Recording extends EventEmitter<{ state: [RecordingState] }> implements Sink {
  readonly kind = 'record';
  readonly id = randomUUID();
  readonly needs = { kinds: ['audio', 'video'] as const, keyframeOnStart: true };
  readonly startedAt = Date.now();
  readonly files: string[] = [];
  readonly log: Logger;
  /** Bytes of every file so far. */
  bytes = 0;
  private readonly recorder = new FedProcess<RecorderProcess>(true);
  private sender: UdpPair | undefined;
  private keyframeTimers: NodeJS.Timeout[] = [];
  private fileBytes = 0;
  /** No retry: a recording that fails stays failed (its file is what it is). */
  private readonly m: Machine<RecordingState>;
  /** ffmpeg ended its file because the source went silent (a pull reconnecting): the next file starts with the source. */
  private waitingForSource = false;

  constructor(readonly stream: Stream, private readonly deps: RecordingDeps, log: Logger) {
    super();
    this.log = log.child({ recording: this.id, stream: stream.name });
    this.m = new Machine<RecordingState>({ initial: 'starting', log: this.log, event: 'record.state', infoField: 'reason',
      ended: ['stopping', 'stopped', 'failed'], extra: () => ({ file: this.fileName, bytes: this.bytes }),
      onChange: (to) => this.emit('state', to) });
  }

  get recState(): RecordingState { return this.m.state; }
  get lastError(): string | null { return this.m.lastError; }
  /** Why it is in its state (why it stopped, once ended). */
  get reason(): string { return this.m.info; }

  get fileName(): string | undefined { return this.files.at(-1); }
  get state(): SinkState { return this.recState === 'recording' ? 'running' : this.recState === 'starting' ? 'starting' : 'stopped'; }
  get ended(): boolean { return this.recState === 'stopped' || this.recState === 'failed'; }

  /** Binds its socket, attaches to the stream and starts the first file; returns that file's name. */
  async open(): Promise<string> {
    this.sender = await UdpPair.bind(this.deps.teePorts);
    this.stream.attach(this);
    return this.startFile('started');
  }

  sourceStarted(): void {
    if (this.recState !== 'recording' && this.recState !== 'starting') return;
    if (this.waitingForSource) {
      this.waitingForSource = false;
      this.startFile('source back');
      return;
    }
    void this.rotate('source restarted');
  }

  async codecsChanged(): Promise<void> { /* sourceStarted follows, with the new codecs */ }
  janusLost(): void { /* a recording does not go through Janus */ }
  async streamClosed(end: SinkEnd): Promise<void> { await this.finish('stopped', `stream ended: ${end.info || end.status}`); }

  /** REST stopRecording, relay shutdown. */
  async stop(reason: string): Promise<void> {
    this.stream.detach(this);
    await this.finish('stopped', reason);
  }

  /** The disk guard (or another reason the file cannot go on). */
  async fail(reason: string): Promise<void> {
    this.stream.detach(this);
    this.m.lastError = reason;
    await this.finish('failed', reason);
  }

  /** Resolves once the file is finished (stopped or failed), at once if it is. */
  async settled(): Promise<void> {
    while (!this.ended) await once(this, 'state');
  }

  private startFile(reason: string): string {
    const generation = this.m.next();
    const { codecs } = this.stream;
    const name = this.deps.unique(recordFileName(this.deps.template, {
      streamName: this.stream.name, startTime: Date.now(), mediaSessionId: this.stream.mediaSessionId, codecs,
    }));
    this.files.push(name);
    this.fileBytes = 0;
    void this.spawn(generation, name, reason);
    return name;
  }

  private async spawn(generation: number, name: string, reason: string): Promise<void> {
    const { codecs } = this.stream;
    let feed: ProcessFeed;
    try {
      feed = await ProcessFeed.reserve(this.deps.teePorts, codecs);
    } catch (err) {
      return this.onExit(generation, `no UDP ports for ffmpeg: ${(err as Error).message}`);
    }
    if (!this.m.current(generation) || !this.sender) { feed.release(); return; }
    const recorder = this.deps.spawn({ codecs, ports: feed.ports, path: join(this.deps.dir, name), audioKbps: this.deps.audioKbps }, this.log);
    recorder.on('progress', this.m.guard(generation, (bytes: number) => this.onProgress(bytes)));
    recorder.once('exited', (why) => this.onExit(generation, why));
    feed.connect(this.stream.tee, this.sender.rtp, codecs);
    this.recorder.set(recorder, feed);
    this.keyframeTimers = KEYFRAME_REQUESTS_MS.map((ms) => setTimeout(() => this.stream.requestKeyframe('recording starts a file'), ms));
    this.log.info('record.file_started', { file: name, reason, video: codecs.video?.name, audio: codecs.audio?.name });
  }

  private onProgress(fileTotal: number): void {
    this.bytes += fileTotal - this.fileBytes;
    this.fileBytes = fileTotal;
    if (this.recState === 'starting' && fileTotal > 0) this.m.to('recording', 'file growing');
  }

  private onExit(generation: number, why: string): void {
    if (!this.m.current(generation)) return;
    if (/timed out/i.test(why) && !this.stream.isClosed) {
      void this.stopRecorder().then(() => {
        this.waitingForSource = true;
        this.m.to('starting', `no media for ${INPUT_TIMEOUT_S} s: ${this.fileName} finished, the next file starts when the source is back`);
      });
      return;
    }
    void this.fail(why);
  }

  private async rotate(reason: string): Promise<void> {
    this.m.next();
    await this.stopRecorder();
    if (!this.ended && this.recState !== 'stopping') this.startFile(reason);
  }

  private async finish(to: 'stopped' | 'failed', reason: string): Promise<void> {
    if (this.ended || this.recState === 'stopping') return this.settled();
    this.m.next();
    this.m.to('stopping', reason);
    await this.stopRecorder();
    this.sender?.close();
    this.m.to(to, reason);
  }

  /** ffmpeg is told to stop while the tee still feeds it: it leaves its read loop on the next packet (see ffmpeg-recorder). */
  private async stopRecorder(): Promise<void> {
    for (const t of this.keyframeTimers.splice(0)) clearTimeout(t);
    await this.recorder.stop();
  }
}
