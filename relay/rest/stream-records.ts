/** Stream objects in the shape of WCS REST /stream/find_all (the fields a WCS tool reads). */
import type { RelayView } from './relay-view.ts';
import { Publisher } from '../sources/publisher.ts';

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
}

export function streamRecords(relay: RelayView): StreamRecord[] {
  const pulled: StreamRecord[] = relay.pulls.all().map((p) => ({
    appKey: 'defaultApp', mediaSessionId: p.localMediaSessionId, name: p.spec.localStreamName, published: true,
    mediaType: 'publish', status: p.stream.status, info: p.info,
    hasAudio: !!p.stream.codecs.audio, hasVideo: !!p.stream.codecs.video,
    audioCodec: p.stream.codecs.audio?.name.toLowerCase() ?? null, videoCodec: p.stream.codecs.video?.name ?? null,
    mediaProvider: 'WebRTC', createDate: p.createdAt,
  }));
  return pulled.concat(relay.ctx.registry.allMediaSessions().filter((m) => !m.isEnded).map((m) => {
    const stream = m instanceof Publisher ? m.stream : relay.ctx.registry.get(m.name);
    return {
      appKey: 'defaultApp', mediaSessionId: m.id, name: m.name, published: m.role === 'publisher',
      mediaType: m.role === 'publisher' ? 'publish' : 'play', status: m.status, info: m.info,
      hasAudio: !!stream?.codecs.audio, hasVideo: !!stream?.codecs.video,
      audioCodec: stream?.codecs.audio?.name.toLowerCase() ?? null, videoCodec: stream?.codecs.video?.name ?? null,
      mediaProvider: 'WebRTC', createDate: m.startedAt,
    };
  }));
}
