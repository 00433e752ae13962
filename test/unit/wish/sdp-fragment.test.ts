/** The trickle body of a WHEP PATCH (RFC 8840), as WHEPClient and browsers write it. */
import { describe, expect, it } from 'vitest';
import { SdpFragmentError, parseSdpFragment } from '../../../relay/wish/sdp-fragment.ts';

const FRAGMENT = [
  'a=ice-ufrag:EsAw', 'a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1', 'm=audio 9 UDP/TLS/RTP/SAVPF 0', 'a=mid:0',
  'a=candidate:1387637174 1 udp 2122260223 198.18.1.2 61764 typ host generation 0 ufrag EsAw network-id 1',
  'm=video 9 UDP/TLS/RTP/SAVPF 0', 'a=mid:1',
  'a=candidate:3471623853 1 udp 2122194687 198.18.1.2 51090 typ host generation 0', 'a=end-of-candidates', '',
].join('\r\n');

describe('trickle-ice-sdpfrag', () => {
  it('reads credentials, each candidate under its mid and m-line index, and the end of candidates', () => {
    const f = parseSdpFragment(FRAGMENT, ['0', '1']);
    expect([f.ufrag, f.pwd, f.endOfCandidates]).toEqual(['EsAw', 'P2uYro0UCOQ4zxjKXaWCBui1', true]);
    expect(f.candidates).toEqual([
      { candidate: 'candidate:1387637174 1 udp 2122260223 198.18.1.2 61764 typ host generation 0 ufrag EsAw network-id 1', sdpMid: '0', sdpMLineIndex: 0 },
      { candidate: 'candidate:3471623853 1 udp 2122194687 198.18.1.2 51090 typ host generation 0', sdpMid: '1', sdpMLineIndex: 1 },
    ]);
  });

  it('a candidate before any m= belongs to the first media section (bundle)', () => {
    const f = parseSdpFragment('a=candidate:1 1 udp 1 198.18.1.2 9 typ host\n', ['v', 'a']);
    expect(f.candidates[0]).toMatchObject({ sdpMid: 'v', sdpMLineIndex: 0 });
  });

  it.each([['no SDP lines at all', 'hello'], ['a malformed candidate', 'a=candidate:1 1 udp']])('refuses %s', (_why, body) => {
    expect(() => parseSdpFragment(body, ['0'])).toThrow(SdpFragmentError);
  });
});
