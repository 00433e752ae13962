/**
 * The process that writes a recording: one ffmpeg reading the tee's RTP copy (the HLS packager's SDP) and writing
 * the file. Video is never transcoded: H.264 goes into fragmented MP4 with Opus encoded as AAC; VP8 and Opus go
 * into WebM as they are. Both are flushed every packet in ~1 s fragments/clusters, so a file cut short is readable
 * up to its last second.
 *
 * Ending a file properly (trailer: duration, cues) needs ffmpeg to leave its read loop by itself: one SIGTERM is
 * seen only when a packet arrives, and a second one aborts the trailer's writes too ("Immediate exit requested").
 * So stopping sends one SIGTERM while the tee still feeds it, and the input has a 3 s `listen_timeout`: when RTP
 * stops (the stream ended, or the relay died) ffmpeg sees the end of its input and finishes the file. That is also
 * why this ffmpeg, alone of the relay's children, has no `--pdeathsig`: a dying multi-threaded parent delivers it
 * once per thread (seen: two SIGTERMs), and the file would be left without its trailer. A SIGKILLed relay thus
 * leaves a finished, seekable file, and no ffmpeg 3 s later. Nothing is written to a pipe the dead relay held
 * (`-progress` is not used; the file's size is polled) and ffmpeg ignores SIGPIPE for its stderr.
 */
import { stat } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import type { Logger } from '../../log.ts';
import type { StreamCodecs } from '../../streams/stream.ts';
import type { MediaKind } from '../../sdp/description.ts';
import { FfmpegChild } from '../../media/ffmpeg-child.ts';
import { packagerSdp } from '../hls/ffmpeg-packager.ts';
import { containerFor } from './record-file.ts';

export interface RecorderPlan {
  codecs: StreamCodecs;
  ports: Partial<Record<MediaKind, number>>;
  path: string;
  audioKbps: number;
}

export interface RecorderEvents {
  /** Bytes written to the file so far. */
  progress: [bytes: number];
  exited: [reason: string];
}

export interface RecorderProcess extends EventEmitter<RecorderEvents> {
  /** Ends the file properly (trailer written) and resolves once ffmpeg is gone. */
  stop(): Promise<void>;
}

export type SpawnRecorder = (plan: RecorderPlan, log: Logger) => RecorderProcess;

/** Seconds without RTP after which ffmpeg ends its input (and finishes the file). */
export const INPUT_TIMEOUT_S = 3;
/** Past the input timeout and the trailer's writes, a stuck ffmpeg is killed. */
const STOP_GRACE_MS = (INPUT_TIMEOUT_S + 3) * 1000;
const SIZE_POLL_MS = 1000;

export function recorderArgs(plan: RecorderPlan): string[] {
  const sdp = `data:application/sdp;base64,${Buffer.from(packagerSdp(plan)).toString('base64')}`;
  const mp4 = containerFor(plan.codecs) === 'mp4';
  const audio = !plan.codecs.audio ? [] : mp4 ? ['-c:a', 'aac', '-aac_coder', 'fast', '-b:a', `${plan.audioKbps}k`, '-ac', '2'] : ['-c:a', 'copy'];
  const muxer = mp4
    ? ['-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-frag_duration', '1000000']
    : ['-f', 'webm', '-cluster_time_limit', '1000'];
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-nostats',
    '-protocol_whitelist', 'data,udp,rtp',
    '-fpsprobesize', '0', '-analyzeduration', '5000000', '-probesize', '10000000', '-listen_timeout', String(INPUT_TIMEOUT_S),
    '-i', sdp, ...(plan.codecs.video ? ['-c:v', 'copy'] : []), ...audio,
    ...muxer, '-flush_packets', '1', '-n', plan.path,
  ];
}

export class FfmpegRecorder extends EventEmitter<RecorderEvents> implements RecorderProcess {
  private readonly ffmpeg: FfmpegChild;
  private readonly sizePoll: NodeJS.Timeout;

  constructor(plan: RecorderPlan, log: Logger) {
    super();
    this.ffmpeg = new FfmpegChild({ args: recorderArgs(plan), stdout: 'ignore', dieWithRelay: false, graceMs: STOP_GRACE_MS });
    // ENOENT until ffmpeg has probed its input and opened the file: nothing to report yet.
    this.sizePoll = setInterval(() => void stat(plan.path).then((s) => this.emit('progress', s.size), () => undefined), SIZE_POLL_MS);
    this.ffmpeg.child.once('exit', () => clearInterval(this.sizePoll));
    this.ffmpeg.once('exited', (reason) => this.emit('exited', reason));
    log.info('record.recorder_spawned', { pid: this.ffmpeg.pid, path: plan.path });
  }

  stop(): Promise<void> { return this.ffmpeg.stop(); }
}

export const spawnFfmpegRecorder: SpawnRecorder = (plan, log) => new FfmpegRecorder(plan, log);
