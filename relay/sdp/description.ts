/**
 * Just enough SDP for Siphon: read the m-lines and codecs of a description, pick the codecs we carry
 * (VP8 or H264 packetization-mode 1, Opus), and write the plain-RTP descriptions NoSIP consumes.
 * Bad input raises SdpError so the caller can fail that one stream with a clear info.
 */
export class SdpError extends Error {
  override name = 'SdpError';
}

export type MediaKind = 'audio' | 'video';
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface Codec {
  pt: number;
  name: string; // upper-case encoding name: VP8, H264, OPUS
  clock: number;
  channels?: number;
  fmtp: string;
  feedback: string[];
}

export interface MediaSection {
  kind: MediaKind | string;
  port: number;
  protocol: string;
  pts: number[];
  codecs: Codec[];
  direction: Direction;
  mid?: string;
  address?: string;
}

export interface SessionDescription {
  media: MediaSection[];
  address?: string;
}

const MAX_SDP_BYTES = 64 * 1024;

export function parseSdp(sdp: unknown): SessionDescription {
  if (typeof sdp !== 'string' || sdp.length === 0) throw new SdpError('SDP missing');
  if (sdp.length > MAX_SDP_BYTES) throw new SdpError('SDP too large');
  const lines = sdp.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (lines[0] !== 'v=0') throw new SdpError('SDP does not start with v=0');
  const out: SessionDescription = { media: [] };
  let current: MediaSection | undefined;
  for (const line of lines) {
    if (!/^[a-z]=/.test(line)) throw new SdpError(`malformed SDP line: ${line.slice(0, 40)}`);
    const value = line.slice(2);
    if (line.startsWith('m=')) {
      const [kind, port, protocol, ...fmts] = value.split(' ');
      if (!kind || !port || !protocol || !/^\d+$/.test(port)) throw new SdpError(`malformed m-line: ${line.slice(0, 60)}`);
      current = {
        kind, port: Number(port), protocol,
        pts: fmts.filter((f) => /^\d+$/.test(f)).map(Number),
        codecs: [], direction: 'sendrecv',
      };
      out.media.push(current);
    } else if (line.startsWith('c=')) {
      const address = value.split(' ')[2];
      if (current) current.address = address; else out.address = address;
    } else if (current && line.startsWith('a=')) {
      readAttribute(current, value);
    }
  }
  if (out.media.length === 0) throw new SdpError('SDP has no media');
  return out;
}

function readAttribute(m: MediaSection, attr: string): void {
  const colon = attr.indexOf(':');
  const key = colon < 0 ? attr : attr.slice(0, colon);
  const rest = colon < 0 ? '' : attr.slice(colon + 1);
  if (key === 'sendrecv' || key === 'sendonly' || key === 'recvonly' || key === 'inactive') m.direction = key;
  else if (key === 'mid') m.mid = rest;
  else if (key === 'rtpmap') {
    const match = /^(\d+) ([^/]+)\/(\d+)(?:\/(\d+))?/.exec(rest);
    if (!match) return;
    m.codecs.push({
      pt: Number(match[1]), name: match[2]!.toUpperCase(), clock: Number(match[3]),
      channels: match[4] ? Number(match[4]) : undefined, fmtp: '', feedback: [],
    });
  } else if (key === 'fmtp' || key === 'rtcp-fb') {
    const space = rest.indexOf(' ');
    const pt = Number(rest.slice(0, space));
    const codec = m.codecs.find((c) => c.pt === pt);
    if (!codec) return;
    if (key === 'fmtp') codec.fmtp = rest.slice(space + 1);
    else codec.feedback.push(rest.slice(space + 1));
  }
}

/** The codecs Siphon itself offers or sends (pull offers, the demo stream, the werift baseline). */
export const vp8 = (pt: number): Codec => ({ pt, name: 'VP8', clock: 90000, fmtp: '', feedback: [] });
export const h264Baseline = (pt: number): Codec => ({
  pt, name: 'H264', clock: 90000, fmtp: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f', feedback: [],
});
export const opus = (pt: number): Codec => ({ pt, name: 'OPUS', clock: 48000, channels: 2, fmtp: 'minptime=10;useinbandfec=1', feedback: [] });

export function fmtpParams(fmtp: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of fmtp.split(';')) {
    const [k, v] = part.split('=');
    if (k) out.set(k.trim().toLowerCase(), (v ?? '').trim());
  }
  return out;
}

const isH264Mode1 = (c: Codec) => c.name === 'H264' && fmtpParams(c.fmtp).get('packetization-mode') === '1';

/** VP8 or H264 packetization-mode 1: the video Siphon carries. */
export const isCarriedVideoCodec = (c: Codec) => c.name === 'VP8' || isH264Mode1(c);

export type VideoCodecName = 'VP8' | 'H264';

/**
 * The video codec Siphon takes of an offer, in the relay's order of preference (default VP8, then H264
 * packetization-mode 1 with baseline profiles first). H264 first spares the HLS packager an encoder.
 */
export function pickVideoCodec(m: MediaSection, prefer: readonly VideoCodecName[] = ['VP8', 'H264']): Codec | undefined {
  for (const name of prefer) {
    if (name === 'VP8') {
      const vp8 = m.codecs.find((c) => c.name === 'VP8');
      if (vp8) return vp8;
    } else {
      const h264 = m.codecs.filter(isH264Mode1);
      const pick = h264.find((c) => /^42/i.test(fmtpParams(c.fmtp).get('profile-level-id') ?? '')) ?? h264[0];
      if (pick) return pick;
    }
  }
  return undefined;
}

/** The order of VP8 and H264 in a WCS-style `codecs` list (other names are ignored); both always present. */
export function videoPreference(codecs: readonly string[]): VideoCodecName[] {
  const named = codecs.map((c) => c.trim().toUpperCase()).filter((c): c is VideoCodecName => c === 'VP8' || c === 'H264');
  return [...new Set([...named, 'VP8', 'H264'] as VideoCodecName[])];
}

export function pickAudioCodec(m: MediaSection): Codec | undefined {
  return m.codecs.find((c) => c.name === 'OPUS' && c.clock === 48000);
}

/**
 * The payload type under which a receiver that offered `m` expects `codec`. H264 must match
 * packetization mode; a matching profile-level-id is preferred.
 */
export function matchCodec(m: MediaSection, codec: Codec): Codec | undefined {
  if (codec.name === 'H264') {
    const profile = fmtpParams(codec.fmtp).get('profile-level-id')?.toLowerCase();
    const candidates = m.codecs.filter(isH264Mode1);
    return candidates.find((c) => fmtpParams(c.fmtp).get('profile-level-id')?.toLowerCase() === profile) ?? candidates[0];
  }
  return m.codecs.find((c) => c.name === codec.name && c.clock === codec.clock);
}

export interface PlainMedia {
  kind: string;
  /** 0 rejects the m-line. */
  port: number;
  /** In order of preference; none rejects the m-line. */
  codecs: Codec[];
}

/** A plain RTP/AVP description on 127.0.0.1, the legacy side of a NoSIP session. */
export function plainSdp(media: PlainMedia[], direction: Direction, sessionId = Date.now()): string {
  const lines = ['v=0', `o=- ${sessionId} 1 IN IP4 127.0.0.1`, 's=siphon', 't=0 0'];
  for (const m of media) {
    if (m.codecs.length === 0 || m.port === 0) {
      lines.push(`m=${m.kind} 0 RTP/AVP ${m.codecs[0]?.pt ?? 0}`, 'c=IN IP4 127.0.0.1', 'a=inactive');
      continue;
    }
    lines.push(`m=${m.kind} ${m.port} RTP/AVP ${m.codecs.map((c) => c.pt).join(' ')}`, 'c=IN IP4 127.0.0.1');
    for (const c of m.codecs) {
      lines.push(`a=rtpmap:${c.pt} ${c.name === 'OPUS' ? 'opus' : c.name}/${c.clock}${c.channels ? `/${c.channels}` : ''}`);
      if (c.fmtp) lines.push(`a=fmtp:${c.pt} ${c.fmtp}`);
      if (m.kind === 'video') for (const fb of ['nack', 'nack pli', 'ccm fir']) lines.push(`a=rtcp-fb:${c.pt} ${fb}`);
      // Audio NACK only where the codec carries it (our pull offer; an answer to a peer that offered it): Janus
      // then keeps and repairs audio on that leg too. A browser never offers it, so its legs stay as they were.
      else if (c.feedback.includes('nack')) lines.push(`a=rtcp-fb:${c.pt} nack`);
    }
    lines.push(`a=${direction}`);
  }
  return lines.join('\r\n') + '\r\n';
}

/**
 * The SDK plays `event.streams[0]`, so audio and video must share one MediaStream id in a play
 * answer. Janus names a stream per track; this gives every msid the same stream id.
 */
export function unifyMsid(sdp: string, streamId: string): string {
  return sdp
    .replace(/^a=msid:\S+ (\S+)(\r?)$/gm, `a=msid:${streamId} $1$2`)
    .replace(/^(a=ssrc:\d+ msid:)\S+ (\S+)(\r?)$/gm, `$1${streamId} $2$3`);
}
