/** A stream request's `transport` (the SDK's createStream option): UDP unless it says TCP. */
import { keepCandidates, type IceTransport } from '../sdp/candidates.ts';
import type { StreamRequest } from '../wcs/messages.ts';

export const transportOf = (request: StreamRequest): IceTransport => (String(request.transport).toUpperCase() === 'TCP' ? 'tcp' : 'udp');

/**
 * Keeps the offer's candidates of the asked transport; the reason a TCP request cannot be served when ICE-TCP is
 * off. With ICE-TCP off nothing is filtered: Janus offers no TCP candidate anyway, and it ignores the client's.
 */
export function useTransport(request: StreamRequest, iceTcp: boolean): string | undefined {
  const transport = transportOf(request);
  if (transport === 'tcp' && !iceTcp) return 'WebRTC over TCP is off on this server (set ice_tcp_transport=true, SIPHON_ICE_TCP)';
  if (iceTcp && request.sdp) request.sdp = keepCandidates(request.sdp, transport);
  return undefined;
}

/** The server's answer for that request: its candidates of the same transport. */
export const answerFor = (request: StreamRequest, sdp: string, iceTcp: boolean): string => (iceTcp ? keepCandidates(sdp, transportOf(request)) : sdp);
