/**
 * The SDK's `stream.snapshot()`: `snapshot {name, mediaSessionId}` on a stream object the client made for it (never
 * published or played), answered with the stream event `snapshotCompleted {snapshot: <base64 PNG>}` or
 * `snapshotFailed {info}` on that id, as the SDK's stream-snapshot page reads them. A snapshot shows the picture, so
 * it is decided like a play of that stream (tokens, the playStream hook, the play name restriction).
 */
import { readStreamRequest, type StreamRequest } from '../wcs/messages.ts';
import { Info } from '../streams/status.ts';
import type { Stream } from '../streams/stream.ts';
import type { Decision } from '../access/access-control.ts';

export interface SnapshotDeps {
  stream(name: string): Stream | undefined;
  decide(request: StreamRequest): Promise<Decision>;
  take?: (stream: Stream) => Promise<string>;
  /** A stream event on the client's stream object. */
  event(mediaSessionId: string, type: 'snapshotCompleted' | 'snapshotFailed', payload: Record<string, unknown>): void;
  /** A request without a usable stream object: `fail`. */
  fail(info: string): void;
}

export async function answerSnapshot(data: unknown[], deps: SnapshotDeps): Promise<void> {
  const request = readStreamRequest(data, false);
  if (typeof request === 'string') return deps.fail(request);
  const failed = (info: string) => deps.event(request.mediaSessionId, 'snapshotFailed', { info });
  const decision = await deps.decide(request);
  if (!decision.allow) return failed(`Forbidden: ${decision.reason}`);
  const stream = deps.stream(request.name);
  if (!stream || stream.status !== 'PUBLISHING') return failed(Info.notFound);
  if (!deps.take) return failed('Snapshots are not available on this server');
  try {
    deps.event(request.mediaSessionId, 'snapshotCompleted', { snapshot: await deps.take(stream) });
  } catch (err) {
    failed((err as Error).message);
  }
}
