/**
 * `stream.published` when a stream first carries media from its source (a publisher's leg is up, a pull plays, the
 * test source runs), not when its name is taken: a publish that never gets its media through is no stream to an
 * operator. `stream.unpublished` when it ends, if it was published. A pull's reconnects are `pull.state` events;
 * the stream stays published through them.
 */
import type { Webhooks } from '../webhooks/webhooks.ts';
import type { StreamRegistry } from './registry.ts';
import type { Stream } from './stream.ts';

export function announceStreams(registry: StreamRegistry, webhooks: Webhooks): void {
  registry.on('added', (stream) => announce(stream, webhooks));
}

function announce(stream: Stream, webhooks: Webhooks): void {
  let publishedAt: number | undefined;
  const onStatus = () => {
    if (stream.status !== 'PUBLISHING') return;
    stream.off('status', onStatus);
    publishedAt = Date.now();
    const { video, audio } = stream.codecs;
    webhooks.emit('stream.published', stream.name, { mediaSessionId: stream.mediaSessionId, origin: stream.origin, video: video?.name ?? null, audio: audio?.name ?? null });
  };
  stream.on('status', onStatus);
  onStatus();
  stream.once('closed', (end) => {
    stream.off('status', onStatus);
    if (publishedAt === undefined) return;
    webhooks.emit('stream.unpublished', stream.name,
      { mediaSessionId: stream.mediaSessionId, status: end.status, info: end.info, durationMs: Date.now() - publishedAt, bytesIn: stream.tee.bytesIn });
  });
}
