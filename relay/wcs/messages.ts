/** The server side's reading of stream requests (publishStream, playStream, …) and the status objects it echoes. */

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
