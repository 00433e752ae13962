/**
 * WCS Websocket API frames: `{"message": name, "data": [...]}` both ways. The SDK reads `data[0]` of
 * every server frame, so we always send a `data` array. Client frames are checked here before any
 * handler sees them; a frame that fails is a ProtocolError for that session only.
 */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export interface Frame { message: string; data: unknown[] }

export function parseFrame(text: string): Frame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolError('frame is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProtocolError('frame is not a JSON object');
  const { message, data } = value as Record<string, unknown>;
  if (typeof message !== 'string' || message.length === 0 || message.length > 64) throw new ProtocolError('frame has no message name');
  if (!Array.isArray(data)) throw new ProtocolError(`${message}: frame has no data array`);
  return { message, data };
}

export function frame(message: string, ...data: unknown[]): string {
  return JSON.stringify({ message, data });
}

/** The stream object a client sends with publishStream/playStream/stop…; echoed back in statuses. */
export interface StreamRequest {
  mediaSessionId: string;
  name: string;
  sdp?: string;
  [field: string]: unknown;
}

const MAX_ID = 128;
const MAX_NAME = 256;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Checks a stream object; returns the reason it is unusable, or the typed object. */
export function readStreamRequest(data: unknown[], needSdp: boolean): StreamRequest | string {
  const obj = data[0];
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return 'data[0] is not a stream object';
  const r = obj as Record<string, unknown>;
  if (typeof r.mediaSessionId !== 'string' || r.mediaSessionId.length === 0 || r.mediaSessionId.length > MAX_ID
    || CONTROL.test(r.mediaSessionId)) return 'MediaSessionId is null';
  if (typeof r.name !== 'string' || r.name.trim().length === 0 || r.name.length > MAX_NAME || CONTROL.test(r.name)) {
    return 'Stream name is invalid';
  }
  if (needSdp && typeof r.sdp !== 'string') return 'SDP is missing';
  return r as StreamRequest;
}

/** What the client sees of its stream: its own object back, without the SDP, plus status and info. */
export function statusObject(request: StreamRequest, status: string, info?: string): Record<string, unknown> {
  const { sdp: _sdp, ...rest } = request;
  return { ...rest, status, info: info ?? '' };
}
