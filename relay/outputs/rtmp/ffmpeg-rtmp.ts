/**
 * The process that pushes a stream to an RTMP server: one ffmpeg reading the tee's RTP copy (the same SDP as
 * the HLS packager's) and writing FLV to the target. H.264 is copied, VP8 is encoded with x264 (a keyframe
 * every 2 s, what platforms ask for), Opus becomes AAC. `-progress` tells us bytes sent, hence "running".
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../log.ts';
import type { StreamCodecs } from '../../streams/stream.ts';
import type { MediaKind } from '../../sdp/description.ts';
import { FfmpegChild } from '../../media/ffmpeg-child.ts';
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
  private readonly ffmpeg: FfmpegChild;

  constructor(plan: PusherPlan, log: Logger) {
    super();
    this.transcodes = transcodesVideo(plan.codecs);
    // ffmpeg quotes the URL it failed on: never let the key through.
    this.ffmpeg = new FfmpegChild({ args: pusherArgs(plan), stdout: 'pipe', dieWithRelay: true, graceMs: STOP_GRACE_MS,
      redact: (line) => line.split(plan.target.url).join(plan.target.masked) });
    this.ffmpeg.child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      const m = /total_size=(\d+)/.exec(text);
      if (m) this.emit('progress', Number(m[1]));
    });
    this.ffmpeg.once('exited', (reason) => this.emit('exited', reason));
    log.info('rtmp.pusher_spawned', { pid: this.ffmpeg.pid, target: plan.target.masked, transcodes: this.transcodes });
  }

  stop(): Promise<void> { return this.ffmpeg.stop(); }
}

export const spawnFfmpegPusher: SpawnPusher = (plan, log) => new FfmpegPusher(plan, log);
