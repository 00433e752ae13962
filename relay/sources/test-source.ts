/**
 * A live test pattern (moving ball, running clock, 440 Hz tone) from GStreamer as plain RTP into a
 * stream's tee: VP8 (PT 96) or H.264 constrained baseline (PT 102, for HLS pass-through), a keyframe every
 * second since udpsink cannot honour a PLI, and Opus (PT 111). A state machine, so /health and `npm start` can say whether the demo really has media:
 *
 *   starting → running     GStreamer is up and its RTP reaches the tee
 *   starting | running → failed   GStreamer exited; `lastError` is what it said; restart after a backoff
 *   failed → starting      the restart
 *   any → stopped          close()
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Logger } from '../log.ts';
import { stopChild } from '../stop-child.ts';
import { binary, type Requirement } from '../host/requirement.ts';
import { gstElements } from '../host/gstreamer-elements.ts';
import { Machine } from '../machine.ts';

export const TEST_VIDEO_PT = 96;
export const TEST_H264_PT = 102;
export type TestVideoCodec = 'vp8' | 'h264';
export const TEST_AUDIO_PT = 111;
const STOP_TIMEOUT_MS = 2000;
const MEDIA_CHECK_MS = 200;
const RESTART_MAX_MS = 10_000;

export type TestSourceState = 'starting' | 'running' | 'failed' | 'stopped';

export interface TestSourceOptions {
  ports: { video: number; audio: number };
  kbps: number;
  pattern: string;
  size: string;
  codec: TestVideoCodec;
  /** When the tee last received RTP (ms since the epoch; 0 = never): how the source learns its media arrives. */
  lastMediaAt: () => number;
}

/** Every element the pipeline below uses; a unit test parses the pipeline and fails on one missing here. */
export const TEST_SOURCE_ELEMENTS = ['videotestsrc', 'capsfilter', 'timeoverlay', 'vp8enc', 'rtpvp8pay', 'x264enc', 'rtph264pay',
  'udpsink', 'audiotestsrc', 'audioconvert', 'audioresample', 'opusenc', 'rtpopuspay'] as const;

export const TEST_SOURCE_REQUIREMENTS: Requirement[] = [
  binary('gst-launch-1.0', 'gstreamer1.0-tools', 'demo stream (relay/sources/test-source.ts)'),
  ...gstElements(TEST_SOURCE_ELEMENTS, 'demo stream (relay/sources/test-source.ts)'),
];

export function testSourcePipeline(o: Pick<TestSourceOptions, 'ports' | 'kbps' | 'pattern' | 'size' | 'codec'>): string[] {
  const [width, height] = /^\d+x\d+$/.test(o.size) ? o.size.split('x') : ['640', '360'];
  const encode = o.codec === 'h264'
    ? ['x264enc', 'tune=zerolatency', 'speed-preset=ultrafast', `bitrate=${o.kbps}`, 'key-int-max=30', 'threads=1', '!',
      'video/x-h264,profile=constrained-baseline', '!', 'rtph264pay', `pt=${TEST_H264_PT}`, 'config-interval=-1', 'mtu=1200', '!']
    : ['vp8enc', 'deadline=1', 'cpu-used=8', 'end-usage=cbr', `target-bitrate=${o.kbps * 1000}`, 'keyframe-max-dist=30', 'threads=1', '!',
      'rtpvp8pay', `pt=${TEST_VIDEO_PT}`, 'picture-id-mode=15-bit', 'mtu=1200', '!'];
  return [
    'videotestsrc', 'is-live=true', `pattern=${o.pattern}`, '!', `video/x-raw,width=${width},height=${height},framerate=30/1`, '!',
    'timeoverlay', 'font-desc=Sans 24', '!', ...encode,
    'udpsink', 'host=127.0.0.1', `port=${o.ports.video}`, 'sync=false',
    'audiotestsrc', 'is-live=true', 'wave=sine', 'freq=440', 'volume=0.2', '!', 'audioconvert', '!', 'audioresample', '!',
    'audio/x-raw,rate=48000,channels=2', '!', 'opusenc', '!', 'rtpopuspay', `pt=${TEST_AUDIO_PT}`, '!',
    'udpsink', 'host=127.0.0.1', `port=${o.ports.audio}`, 'sync=false',
  ];
}

export class TestSource extends EventEmitter<{ state: [TestSourceState] }> {
  restarts = 0;
  private child: ChildProcess | undefined;
  private startedAt = 0;
  private mediaTimer: NodeJS.Timeout | undefined;
  /** GStreamer says the same thing on every restart: each distinct message is logged once. */
  private readonly said = new Set<string>();
  /** Its failures in a row end once its media reaches the tee: a source that ran a while restarts quickly again. */
  private readonly m: Machine<TestSourceState>;

  constructor(private readonly options: TestSourceOptions, private readonly log: Logger) {
    super();
    this.m = new Machine<TestSourceState>({
      initial: 'stopped', log, event: 'test_source.state', ended: ['stopped'], retryCapMs: RESTART_MAX_MS,
      extra: () => ({ restarts: this.restarts, lastError: this.lastError }),
      onChange: (to) => {
        if (to !== 'starting') clearInterval(this.mediaTimer);
        if (to === 'running') this.m.succeeded();
        this.emit('state', to);
      },
    });
  }

  get state(): TestSourceState { return this.m.state; }
  get lastError(): string | null { return this.m.lastError; }
  get since(): number { return this.m.since; }

  start(): void {
    const id = this.m.next();
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', 'gst-launch-1.0', '-q', ...testSourcePipeline(this.options)],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.startedAt = Date.now();
    child.stderr?.setEncoding('utf8').on('data', (text: string) => this.onStderr(text));
    child.once('error', (err) => this.onExit(id, `cannot run gst-launch-1.0: ${err.message}`));
    child.once('exit', (code, signal) => this.onExit(id, `gst-launch-1.0 exited (${signal ?? `code ${code}`})`));
    this.m.to('starting');
    this.log.info('test_source.started', { pid: child.pid, ports: this.options.ports });
    this.mediaTimer = setInterval(() => {
      if (this.options.lastMediaAt() >= this.startedAt) this.m.to('running');
    }, MEDIA_CHECK_MS);
  }

  private onStderr(text: string): void {
    for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
      const said = this.m.lastError = line.slice(0, 300);
      if (this.said.has(said)) continue;
      this.said.add(said);
      this.log.warn('test_source.stderr', { text: said });
    }
  }

  private onExit(id: number, why: string): void {
    if (!this.m.current(id)) return;
    this.m.next(); // a child that fails to spawn says so twice ('error', then 'exit'): it fails once
    this.m.lastError ??= why;
    this.child = undefined;
    this.m.to('failed');
    this.restarts += 1;
    const wait = this.m.retry(() => this.start());
    this.log.error('test_source.exited', { why, lastError: this.lastError, restartInMs: wait });
  }

  /** Resolves once GStreamer has exited, so a relay shutting down leaves no gst-launch behind. */
  async close(): Promise<void> {
    this.m.cancelRetry();
    const child = this.child;
    this.m.to('stopped');
    if (child) await stopChild(child, STOP_TIMEOUT_MS);
  }
}
