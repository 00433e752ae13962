/** Stream objects in the shape of WCS REST /stream/find_all (the fields a WCS tool reads). */
import type { RelayView } from './relay-view.ts';
import { Publisher } from '../webrtc/publisher.ts';

export interface StreamRecord {
  appKey: string;
  mediaSessionId: string;
  name: string;
  published: boolean;
  mediaType: 'publish' | 'play';
  status: string;
  info: string;
  hasAudio: boolean;
  hasVideo: boolean;
  audioCodec: string | null;
  videoCodec: string | null;
  mediaProvider: 'WebRTC';
  createDate: number;
  /** The stream's HLS output, when one runs (Siphon's addition to WCS's record). */
  hls: HlsRecord | null;
}

export interface HlsRecord {
  path: string;
  state: string;
  transcodes: boolean;
  viewers: number;
  restarts: number;
  segments: number;
  served: { playlists: number; parts: number; segments: number; bytes: number };
  lastError: string | null;
}

export function hlsRecord(relay: RelayView, name: string): HlsRecord | null {
  const sink = relay.hls.get(name);
  if (!sink) return null;
  const { playlists, parts, segments, bytes } = sink.served;
  return {
    path: hlsPath(name), state: sink.state, transcodes: sink.transcodes, viewers: relay.hls.viewers(name),
    restarts: sink.restarts, segments: sink.window.segments.length, served: { playlists, parts, segments, bytes }, lastError: sink.lastError,
  };
}

/** Where the SDK's HLS pages look for a stream, on the HLS port. */
export const hlsPath = (name: string) => `/${encodeURIComponent(name)}/${encodeURIComponent(name)}.m3u8`;

export function streamRecords(relay: RelayView): StreamRecord[] {
  const pulled: StreamRecord[] = relay.pulls.all().map((p) => ({
    appKey: 'defaultApp', mediaSessionId: p.localMediaSessionId, name: p.spec.localStreamName, published: true,
    mediaType: 'publish', status: p.stream.status, info: p.info,
    hasAudio: !!p.stream.codecs.audio, hasVideo: !!p.stream.codecs.video,
    audioCodec: p.stream.codecs.audio?.name.toLowerCase() ?? null, videoCodec: p.stream.codecs.video?.name ?? null,
    mediaProvider: 'WebRTC', createDate: p.createdAt, hls: hlsRecord(relay, p.spec.localStreamName),
  }));
  return pulled.concat(relay.ctx.registry.allMediaSessions().filter((m) => !m.isEnded).map((m) => {
    const stream = m instanceof Publisher ? m.stream : relay.ctx.registry.get(m.name);
    return {
      appKey: 'defaultApp', mediaSessionId: m.id, name: m.name, published: m.role === 'publisher',
      mediaType: m.role === 'publisher' ? 'publish' : 'play', status: m.status, info: m.info,
      hasAudio: !!stream?.codecs.audio, hasVideo: !!stream?.codecs.video,
      audioCodec: stream?.codecs.audio?.name.toLowerCase() ?? null, videoCodec: stream?.codecs.video?.name ?? null,
      mediaProvider: 'WebRTC', createDate: m.startedAt, hls: m.role === 'publisher' ? hlsRecord(relay, m.name) : null,
    };
  }));
}

/**
 * WCS's `metrics` of a stream record (`display: ["metrics"]`), from what its RTP shows; a player's record shows the
 * stream it plays. Names as WCS documents them; codecs as RTP payload types, as WCS gives them.
 */
export function streamMetrics(relay: RelayView, record: StreamRecord): Record<string, number> {
  const stream = relay.ctx.registry.get(record.name);
  if (!stream) return {};
  const { meter } = stream.tee;
  const { audioBps, videoBps, fps } = meter.rates();
  return {
    VIDEO_CODEC: stream.codecs.video?.pt ?? -1, AUDIO_CODEC: stream.codecs.audio?.pt ?? -1,
    VIDEO_WIDTH: meter.size.width, VIDEO_HEIGHT: meter.size.height,
    VIDEO_RATE: videoBps, AUDIO_RATE: audioBps, VIDEO_FPS: fps, VIDEO_K_FRAMES: meter.keyframes, VIDEO_B_FRAMES: 0,
    VIDEO_LOST: stream.tee.lostOf('video'), AUDIO_LOST: stream.tee.lostOf('audio'), VIDEO_PLI: stream.tee.keyframeRequests,
  };
}
