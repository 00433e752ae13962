/**
 * The process that turns a stream's plain RTP into fragmented MP4: one ffmpeg per HLS stream, reading
 * the tee's copy of the RTP (an SDP handed over as a data: URL) and writing ftyp+moov, then one
 * moof+mdat per part (≤ partSeconds, and a new one at every video keyframe) to its stdout. H.264 is
 * copied; anything else (VP8) is encoded with x264 with a keyframe every segment; Opus becomes AAC.
 * ffmpeg does the RTP depacketising, A/V timing and AAC encoding; Node only cuts boxes (fmp4.ts).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../log.ts';
import type { StreamCodecs } from '../../streams/stream.ts';
import type { Codec, MediaKind } from '../../sdp/description.ts';
import { binary, type Requirement } from '../../host/requirement.ts';
import { FfmpegChild } from '../../media/ffmpeg-child.ts';
import { BoxSplitter, parseFragment, parseInit, type Fragment, type InitSegment } from './fmp4.ts';

export const HLS_REQUIREMENTS: Requirement[] = [
  binary('ffmpeg', 'ffmpeg', 'HLS packager (relay/outputs/hls/ffmpeg-packager.ts)'),
];

export interface EncoderSettings {
  /** x264 preset for streams that are not H.264 already. */
  x264Preset: string;
  /** x264 constant rate factor (lower: better, bigger). */
  x264Crf: number;
  audioKbps: number;
}

export interface PackagerPlan {
  codecs: StreamCodecs;
  /** Loopback ports ffmpeg listens on for RTP (it binds port+1 for RTCP too). */
  ports: Partial<Record<MediaKind, number>>;
  partSeconds: number;
  segmentSeconds: number;
  /** Where this packager's timeline starts (s): the end of the previous one's, so time never goes back. */
  timeOffset: number;
  encoder: EncoderSettings;
}

export interface PackagerEvents {
  init: [InitSegment];
  fragment: [Fragment];
  exited: [reason: string];
}

/** The boundary the HLS sink drives; unit tests fake it. */
export interface PackagerProcess extends EventEmitter<PackagerEvents> {
  readonly transcodes: boolean;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export type SpawnPackager = (plan: PackagerPlan, log: Logger) => PackagerProcess;

const STOP_GRACE_MS = 2000;
// A part ends at the first frame past this share of PART-TARGET (250 ms: 5 frames, 167 ms, at 30 fps), leaving
// room for two frames a sender dropped in a row (0.75 left room for one: CI saw a 258 ms part on a busy machine):
// parts never outgrow PART-TARGET, as RFC 8216bis asks.
const FRAGMENT_SHARE_OF_PART = 0.6;

export const transcodesVideo = (codecs: StreamCodecs) => codecs.video !== undefined && codecs.video.name !== 'H264';

function rtpmap(c: Codec): string {
  const name = c.name === 'OPUS' ? 'opus' : c.name;
  return `a=rtpmap:${c.pt} ${name}/${c.clock}${c.channels ? `/${c.channels}` : ''}`;
}

export function packagerSdp(plan: Pick<PackagerPlan, 'codecs' | 'ports'>): string {
  const lines = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=siphon-hls', 'c=IN IP4 127.0.0.1', 't=0 0'];
  for (const kind of ['video', 'audio'] as const) {
    const codec = plan.codecs[kind];
    const port = plan.ports[kind];
    if (!codec || !port) continue;
    lines.push(`m=${kind} ${port} RTP/AVP ${codec.pt}`, rtpmap(codec));
    if (codec.fmtp) lines.push(`a=fmtp:${codec.pt} ${codec.fmtp}`);
  }
  return lines.join('\r\n') + '\r\n';
}

/** Keyframes at 0, one part later (so the first segment is short and players start at once), then every segment. */
function forcedKeyframes(plan: PackagerPlan): string {
  const early = plan.segmentSeconds - plan.partSeconds;
  return `expr:gte(t,n_forced*${plan.segmentSeconds}-${early}*gt(n_forced,0))`;
}

export function ffmpegArgs(plan: PackagerPlan): string[] {
  const sdp = `data:application/sdp;base64,${Buffer.from(packagerSdp(plan)).toString('base64')}`;
  const { encoder: e } = plan;
  const video = !plan.codecs.video ? [] : transcodesVideo(plan.codecs)
    ? ['-fps_mode', 'passthrough', '-c:v', 'libx264', '-preset', e.x264Preset, '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-crf', String(e.x264Crf),
      '-maxrate', '4M', '-bufsize', '2M', '-force_key_frames', forcedKeyframes(plan)]
    : ['-c:v', 'copy'];
  // The fast coder: a third less CPU than the default two-loop search (B8), inaudible at live bitrates.
  const audio = plan.codecs.audio ? ['-c:a', 'aac', '-aac_coder', 'fast', '-b:a', `${e.audioKbps}k`, '-ac', '2'] : [];
  return [
    '-hide_banner', '-loglevel', 'warning', '-nostdin', '-nostats',
    '-protocol_whitelist', 'data,udp,rtp',
    // Stop probing once every stream has its parameters: no frame-rate probing, which costs ~1 s.
    '-fpsprobesize', '0', '-analyzeduration', '5000000', '-probesize', '10000000',
    '-i', sdp,
    ...video, ...audio,
    '-output_ts_offset', plan.timeOffset.toFixed(3),
    '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof',
    '-frag_duration', String(Math.round(plan.partSeconds * FRAGMENT_SHARE_OF_PART * 1e6)),
    'pipe:1',
  ];
}

export class FfmpegPackager extends EventEmitter<PackagerEvents> implements PackagerProcess {
  readonly transcodes: boolean;
  private readonly ffmpeg: FfmpegChild;
  private readonly splitter = new BoxSplitter();
  private init: InitSegment | undefined;
  /** The box waiting for its partner: ftyp for its moov, a moof for its mdat. */
  private pending: Buffer | undefined;
  private readonly said = new Set<string>();

  constructor(plan: PackagerPlan, private readonly log: Logger) {
    super();
    this.transcodes = transcodesVideo(plan.codecs);
    this.ffmpeg = new FfmpegChild({ args: ffmpegArgs(plan), stdout: 'pipe', dieWithRelay: true, graceMs: STOP_GRACE_MS,
      onStderrLine: (line) => this.onStderr(line) });
    this.ffmpeg.child.stdout!.on('data', (chunk: Buffer) => this.onData(chunk));
    this.ffmpeg.once('exited', (reason) => this.emit('exited', reason));
    log.info('hls.packager_spawned', { pid: this.ffmpeg.pid, video: plan.codecs.video?.name, audio: plan.codecs.audio?.name,
      transcodes: this.transcodes, ports: plan.ports });
  }

  get pid(): number | undefined { return this.ffmpeg.pid; }
  get lastError(): string { return this.ffmpeg.lastError; }

  private onData(chunk: Buffer): void {
    try {
      for (const box of this.splitter.push(chunk)) this.onBox(box.type, box.bytes);
    } catch (err) {
      this.log.error('hls.packager_bad_output', { err });
      this.ffmpeg.child.kill('SIGKILL');
    }
  }

  private onBox(type: string, bytes: Buffer): void {
    if (type === 'ftyp' || type === 'moof') {
      if (type === 'ftyp') this.init = undefined;
      this.pending = Buffer.from(bytes); // a copy: `bytes` is a view of ffmpeg's whole chunk
      return;
    }
    if (type === 'moov') {
      this.init = parseInit(Buffer.concat([this.pending ?? Buffer.alloc(0), bytes]));
      this.pending = undefined;
      this.emit('init', this.init);
    } else if (type === 'mdat' && this.init && this.pending) {
      const fragment = parseFragment(Buffer.concat([this.pending, bytes]), this.init.tracks);
      this.pending = undefined;
      this.emit('fragment', fragment);
    }
  }

  /** Each distinct line once (at most 50): ffmpeg repeats its warnings per packet. */
  private onStderr(line: string): void {
    if (this.said.has(line) || this.said.size > 50) return;
    this.said.add(line);
    this.log.warn('hls.packager_stderr', { text: line });
  }

  stop(): Promise<void> { return this.ffmpeg.stop(); }
}

export const spawnFfmpegPackager: SpawnPackager = (plan, log) => new FfmpegPackager(plan, log);
