/**
 * What the relay tells an operator's URL happened (docs/api/webhooks.md): the event types, what each carries in
 * `data`, and the body every one is sent in. These are a contract with receivers: a field renamed here breaks them.
 */

/** How a player watched: the WCS SDK, the viewer page, WHEP, HLS. */
export type PlayProtocol = 'wcs' | 'viewer' | 'whep' | 'hls';

export interface WebhookData {
  'stream.published': { mediaSessionId: string; origin: 'publish' | 'pull' | 'test'; video: string | null; audio: string | null };
  'stream.unpublished': { mediaSessionId: string; status: string; info: string; durationMs: number; bytesIn: number };
  'play.started': { protocol: PlayProtocol; sessionId: string };
  /** `bytes`: media sent to this player, or null where the relay does not carry it (the viewer page: Janus sends it). */
  'play.stopped': { protocol: PlayProtocol; sessionId: string; bytes: number | null; durationMs: number; reason: string };
  'record.finished': { recordingId: string; result: 'stopped' | 'failed'; reason: string; files: { name: string; url: string }[]; bytes: number; durationMs: number };
  'pull.state': { pullId: string; uri: string; remoteStream: string; from: string; to: string; info: string; attempt: number };
  /** `target`: the WCS server's URI (and `remoteStream` the name there), or the RTMP URL with its stream key masked. */
  'push.state': { kind: 'wcs' | 'rtmp'; pushId: string; target: string; remoteStream: string | null; from: string; to: string; info: string };
  'access.denied': { action: 'connect' | 'publish' | 'play'; protocol: string; status: number; reason: string; client: string };
  'access.revoked': { protocol: string; sessionId: string; reason: string };
}

export type WebhookType = keyof WebhookData;

/** Every type, checked against WebhookData both ways (a missing or extra key does not compile). */
const TYPES: Record<WebhookType, true> = {
  'stream.published': true, 'stream.unpublished': true, 'play.started': true, 'play.stopped': true, 'record.finished': true,
  'pull.state': true, 'push.state': true, 'access.denied': true, 'access.revoked': true,
};
export const WEBHOOK_TYPES = Object.keys(TYPES) as WebhookType[];

export interface WebhookBody<T extends WebhookType = WebhookType> {
  type: T;
  /** Also the `webhook-id` header: the same on every retry of this event, so a receiver can drop a repeat. */
  id: string;
  /** When it happened (ISO 8601), not when it was sent. */
  timestamp: string;
  nodeId: string;
  /** Null for what concerns no stream (a refused connect). */
  stream: string | null;
  /** 1, 2, 3… per stream name in this relay process (stream-less events have their own count): a gap is a lost event. */
  seq: number;
  data: WebhookData[T];
}
