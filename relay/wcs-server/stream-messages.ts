/** The SDK's stream queries that touch no media session of their own: `availableStream` and `sendStreamEvent`. */
import type { StreamRegistry } from '../streams/registry.ts';
import type { MediaSession } from '../webrtc/media-session.ts';
import { Publisher } from '../webrtc/publisher.ts';
import { Info } from '../streams/status.ts';

type Send = (message: string, ...data: unknown[]) => void;

/** `stream.available()`: whether a stream of that name plays here. */
export function answerAvailable(data: unknown[], registry: Pick<StreamRegistry, 'get'>, send: Send): void {
  const obj = (data[0] ?? {}) as { mediaSessionId?: unknown; name?: unknown };
  const live = typeof obj.name === 'string' && registry.get(obj.name) !== undefined;
  send('availableStream', { id: obj.mediaSessionId, status: live ? 'true' : 'false', info: live ? 'Available' : Info.notFound });
}

/** A publisher's stream event (`sendData`, mute/unmute) goes to every player of its stream. */
export function relayStreamEvent(data: unknown[], media: ReadonlyMap<string, MediaSession>, send: Send): void {
  const obj = (data[0] ?? {}) as { mediaSessionId?: unknown; type?: unknown; payload?: unknown };
  const pub = typeof obj.mediaSessionId === 'string' ? media.get(obj.mediaSessionId) : undefined;
  if (!(pub instanceof Publisher) || !pub.stream || typeof obj.type !== 'string') {
    send('fail', { apiMethod: 'sendStreamEvent', info: Info.notFound });
    return;
  }
  for (const sink of pub.stream.sinks) sink.streamEvent?.(obj.type, obj.payload);
}
