/**
 * WCS Websocket API frames: `{"message": name, "data": [...]}` both ways, for both sides Siphon plays
 * (the server the SDK talks to, and the pull agent's client). The SDK reads `data[0]` of every server
 * frame, so we always send a `data` array. Frames are checked here before any handler sees them; a
 * frame that fails is a ProtocolError for that connection only.
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
