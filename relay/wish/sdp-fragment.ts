/**
 * The body of a WHEP/WHIP PATCH, `application/trickle-ice-sdpfrag` (RFC 8840): the client's ICE credentials
 * and the candidates it gathered after its offer, each under the `a=mid` of its media section.
 */
import type { TrickleCandidate } from '../janus/client.ts';

export interface SdpFragment {
  ufrag?: string;
  pwd?: string;
  candidates: TrickleCandidate[];
  endOfCandidates: boolean;
}

export class SdpFragmentError extends Error {
  override name = 'SdpFragmentError';
}

/** `mids` are the offer's media ids in order, so each candidate also carries its m-line index. */
export function parseSdpFragment(text: string, mids: readonly string[]): SdpFragment {
  const fragment: SdpFragment = { candidates: [], endOfCandidates: false };
  let mid: string | undefined = mids[0];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    if (!/^[a-z]=/.test(line)) throw new SdpFragmentError(`not an SDP line: ${line.slice(0, 60)}`);
    if (line.startsWith('m=')) { mid = undefined; continue; }
    const [attr, value = ''] = splitAttribute(line);
    if (attr === 'ice-ufrag') fragment.ufrag = value;
    else if (attr === 'ice-pwd') fragment.pwd = value;
    else if (attr === 'mid') mid = value;
    else if (attr === 'end-of-candidates') fragment.endOfCandidates = true;
    else if (attr === 'candidate') {
      if (!/^\S+ \d+ \S+ \d+ \S+ \d+ typ \S+/.test(value)) throw new SdpFragmentError(`malformed candidate: ${value.slice(0, 80)}`);
      const index = mid === undefined ? -1 : mids.indexOf(mid);
      fragment.candidates.push({ candidate: `candidate:${value}`, sdpMid: mid, sdpMLineIndex: index >= 0 ? index : 0 });
    }
  }
  return fragment;
}

function splitAttribute(line: string): [string, string?] {
  if (!line.startsWith('a=')) return [''];
  const body = line.slice(2);
  const colon = body.indexOf(':');
  return colon < 0 ? [body] : [body.slice(0, colon), body.slice(colon + 1)];
}
