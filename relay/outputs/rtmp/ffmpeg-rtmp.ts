/**
 * The process that pushes a stream to an RTMP server: one ffmpeg reading the tee's RTP copy (the same SDP as
 * the HLS packager's) and writing FLV to the target. H.264 is copied, VP8 is encoded with x264 (a keyframe
 * every 2 s, what platforms ask for), Opus becomes AAC. `-progress` tells us bytes sent, hence "running".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Logger } from '../../log.ts';
import type { StreamCodecs } from '../../streams/stream.ts';
import type { MediaKind } from '../../sdp/session.ts';
import { stopChild } from '../../stop-child.ts';
import { packagerSdp, transcodesVideo, type EncoderSettings } from '../hls/ffmpeg-packager.ts';

export interface PusherPlan {
  codecs: StreamCodecs;
  ports: Partial<Record<MediaKind, number>>;
  target: { url: string; masked: string };
  encoder: EncoderSettings;
}

export interface PusherEvents {
  /** Total bytes written to the server so far. */
  progress: [bytes: number];
  exited: [reason: string];
}

export interface PusherProcess extends EventEmitter<PusherEvents> {
  readonly transcodes: boolean;
  stop(): Promise<void>;
}

export type SpawnPusher = (plan: PusherPlan, log: Logger) => PusherProcess;

const STOP_GRACE_MS = 2000;

export function pusherArgs(plan: PusherPlan): string[] {
  const sdp = `data:application/sdp;base64,${Buffer.from(packagerSdp(plan)).toString('base64')}`;
  const e = plan.encoder;
  const video = !plan.codecs.video ? [] : transcodesVideo(plan.codecs)
    ? ['-fps_mode', 'passthrough', '-c:v', 'libx264', '-preset', e.x264Preset, '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
      '-crf', String(e.x264Crf), '-maxrate', '4M', '-bufsize', '2M', '-force_key_frames', 'expr:gte(t,n_forced*2)']
    : ['-c:v', 'copy'];
  const audio = plan.codecs.audio ? ['-c:a', 'aac', '-aac_coder', 'fast', '-b:a', `${e.audioKbps}k`, '-ac', '2', '-ar', '48000'] : [];
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-nostats', '-progress', 'pipe:1',
    '-protocol_whitelist', 'data,udp,rtp,tcp,tls,rtmp,rtmps',
    '-fpsprobesize', '0', '-analyzeduration', '5000000', '-probesize', '10000000',
    '-i', sdp, ...video, ...audio,
    '-f', 'flv', '-flvflags', 'no_duration_filesize', plan.target.url,
  ];
}

export class FfmpegPusher extends EventEmitter<PusherEvents> implements PusherProcess {
  readonly transcodes: boolean;
  private readonly child: ChildProcess;
  private stopping = false;
  private lastError = '';

  constructor(private readonly plan: PusherPlan, log: Logger) {
    super();
    this.transcodes = transcodesVideo(plan.codecs);
    this.child = spawn('setpriv', ['--pdeathsig', 'KILL', 'ffmpeg', ...pusherArgs(plan)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      const m = /total_size=(\d+)/.exec(text);
      if (m) this.emit('progress', Number(m[1]));
    });
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      const line = text.trim().split('\n').at(-1);
      // ffmpeg quotes the URL it failed on: never let the key through.
      if (line) this.lastError = line.split(plan.target.url).join(plan.target.masked).slice(0, 300);
    });
    this.child.once('error', (err) => this.exited(`cannot run ffmpeg: ${err.message}`));
    this.child.once('exit', (code, signal) => this.exited(`ffmpeg exited (${signal ?? `code ${code}`})${this.lastError ? `: ${this.lastError}` : ''}`));
    log.info('rtmp.pusher_spawned', { pid: this.child.pid, target: plan.target.masked, transcodes: this.transcodes });
  }

  private exited(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.emit('exited', reason);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await stopChild(this.child, STOP_GRACE_MS);
  }
}

export const spawnFfmpegPusher: SpawnPusher = (plan, log) => new FfmpegPusher(plan, log);
