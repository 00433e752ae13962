/** The one mapping from the relay's error classes to the `info` a WCS client sees with FAILED. */
import { Info } from '../streams/status.ts';
import { MediaSessionError } from '../webrtc/media-session.ts';
import { SdpError } from '../sdp/description.ts';
import { JanusRequestError, JanusUnavailableError } from '../janus/client.ts';
import { PortsExhaustedError } from '../media/udp-port-pool.ts';

export function infoFor(err: unknown): string {
  if (err instanceof MediaSessionError) return err.message;
  if (err instanceof SdpError) return `Failed by error: invalid SDP (${err.message})`;
  if (err instanceof JanusUnavailableError) return Info.mediaServerDown;
  if (err instanceof PortsExhaustedError) return 'Failed to add stream to proxy';
  if (err instanceof JanusRequestError) return `Failed by error: media server refused (${err.message})`;
  return `Failed by error: ${(err as Error)?.message ?? String(err)}`;
}
