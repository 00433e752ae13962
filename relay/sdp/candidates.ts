/**
 * WebRTC over TCP per stream, as WCS does it (`transport: "TCP"` in publishStream/playStream, `ice_tcp_transport`):
 * Janus gathers UDP and TCP candidates for every leg, and a leg that asked for one transport sees only that one's
 * candidates, in Janus's answer and in its own offer (else a UDP pair could still form from the offer's candidates).
 */
export type IceTransport = 'udp' | 'tcp';

const CANDIDATE = /^a=candidate:\S+ \d+ (\S+) /i;

export function keepCandidates(sdp: string, transport: IceTransport): string {
  return sdp.split(/\r?\n/).filter((line) => CANDIDATE.exec(line)?.[1]?.toLowerCase() !== (transport === 'udp' ? 'tcp' : 'udp')).join('\r\n');
}
