/**
 * A live test pattern (moving ball, running clock, 440 Hz tone) from GStreamer as plain RTP into a
 * stream's tee: VP8 (PT 96, keyframe every second, since udpsink cannot honour a PLI) and Opus
 * (PT 111). Restarted with backoff if GStreamer dies; stopped with the stream.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../log.ts';
import { stopChild } from '../stop-child.ts';

export const TEST_VIDEO_PT = 96;
export const TEST_AUDIO_PT = 111;
const STOP_TIMEOUT_MS = 2000;

export class TestSource {
  private child: ChildProcess | undefined;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  restarts = 0;

  constructor(private readonly ports: { video: number; audio: number }, private readonly log: Logger,
    private readonly kbps = 1500, private readonly pattern = 'ball', private readonly size = '640x360') {}

  start(): void {
    const { video, audio } = this.ports;
    const [width, height] = /^\d+x\d+$/.test(this.size) ? this.size.split('x') : ['640', '360'];
    const pipeline = [
      'videotestsrc', 'is-live=true', `pattern=${this.pattern}`, '!', `video/x-raw,width=${width},height=${height},framerate=30/1`, '!',
      'timeoverlay', 'font-desc=Sans 24', '!', 'vp8enc', 'deadline=1', 'cpu-used=8', 'end-usage=cbr',
      `target-bitrate=${this.kbps * 1000}`, 'keyframe-max-dist=30', 'threads=1', '!',
      'rtpvp8pay', `pt=${TEST_VIDEO_PT}`, 'picture-id-mode=15-bit', 'mtu=1200', '!',
      'udpsink', 'host=127.0.0.1', `port=${video}`, 'sync=false',
      'audiotestsrc', 'is-live=true', 'wave=sine', 'freq=440', 'volume=0.2', '!', 'audioconvert', '!', 'audioresample', '!',
      'audio/x-raw,rate=48000,channels=2', '!', 'opusenc', '!', 'rtpopuspay', `pt=${TEST_AUDIO_PT}`, '!',
      'udpsink', 'host=127.0.0.1', `port=${audio}`, 'sync=false',
    ];
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', 'gst-launch-1.0', '-q', ...pipeline], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr?.on('data', (d: Buffer) => this.log.warn('test_source.stderr', { text: d.toString().trim().slice(0, 300) }));
    child.once('exit', (code, signal) => {
      if (this.stopped) return;
      this.restarts += 1;
      const wait = Math.min(500 * 2 ** Math.min(this.restarts, 5), 10_000);
      this.log.error('test_source.exited', { code, signal, restartInMs: wait });
      this.restartTimer = setTimeout(() => this.start(), wait);
    });
    this.log.info('test_source.started', { pid: child.pid, ports: this.ports });
  }

  /** Resolves once GStreamer has exited, so a relay shutting down leaves no gst-launch behind. */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    if (this.child) await stopChild(this.child, STOP_TIMEOUT_MS);
  }
}
