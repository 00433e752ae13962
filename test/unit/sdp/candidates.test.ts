/** WebRTC over TCP per stream: a leg sees only the candidates of the transport it asked for. */
import { describe, expect, it } from 'vitest';
import { keepCandidates } from '../../../relay/sdp/candidates.ts';
import { answerFor, useTransport } from '../../../relay/wcs-server/transport.ts';

/** Candidates as Janus writes them with ice_tcp = true. */
const JANUS_ANSWER = [
  'v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 't=0 0', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'c=IN IP4 10.0.0.1',
  'a=candidate:1 1 udp 2015363327 10.0.0.1 20001 typ host',
  'a=candidate:2 1 tcp 1015021823 10.0.0.1 20002 typ host tcptype active',
  'a=candidate:3 1 TCP 1010827519 10.0.0.1 20003 typ host tcptype passive',
  'a=end-of-candidates', '',
].join('\r\n');

describe('candidates by transport', () => {
  it('tcp keeps the TCP candidates (any case), udp the UDP one; every other line stays', () => {
    const tcp = keepCandidates(JANUS_ANSWER, 'tcp');
    expect(tcp).not.toContain(' udp ');
    expect(tcp).toContain('tcptype active');
    expect(tcp).toContain('tcptype passive');
    expect(tcp).toContain('a=end-of-candidates');
    const udp = keepCandidates(JANUS_ANSWER, 'udp');
    expect(udp.match(/a=candidate/g)).toHaveLength(1);
    expect(udp.split('\r\n').filter((l) => !l.startsWith('a=candidate'))).toEqual(JANUS_ANSWER.split('\r\n').filter((l) => !l.startsWith('a=candidate')));
  });

  it('a TCP request: refused with how to turn it on when ICE-TCP is off; else its offer and answer are TCP only', () => {
    expect(useTransport({ mediaSessionId: 'm', name: 's', transport: 'TCP', sdp: JANUS_ANSWER }, false)).toMatch(/WebRTC over TCP is off on this server \(set ice_tcp_transport=true, SIPHON_ICE_TCP\)/);
    const request = { mediaSessionId: 'm', name: 's', transport: 'TCP', sdp: JANUS_ANSWER };
    expect(useTransport(request, true)).toBeUndefined();
    expect(request.sdp).not.toMatch(/ udp /i);
    expect(answerFor(request, JANUS_ANSWER, true)).not.toMatch(/ udp /i);
    // UDP (the default, no field): UDP only with ICE-TCP on, untouched with it off.
    expect(answerFor({ mediaSessionId: 'm', name: 's' }, JANUS_ANSWER, true)).not.toMatch(/ tcp /i);
    expect(answerFor({ mediaSessionId: 'm', name: 's' }, JANUS_ANSWER, false)).toBe(JANUS_ANSWER);
  });
});
