/** What a remote WCS chose in its answer to the pull's offer. */
import { isCarriedVideoCodec, parseSdp, pickAudioCodec, SdpError, type Codec } from './description.ts';

export interface AnsweredCodecs { audio?: Codec; video?: Codec }

/** The codecs the remote chose: for each kind, the first one we carry, in the answer's own order. */
export function codecsFromAnswer(sdp: string): AnsweredCodecs {
  const out: AnsweredCodecs = {};
  for (const m of parseSdp(sdp).media) {
    if (m.port === 0) continue;
    const ordered = m.pts.map((pt) => m.codecs.find((c) => c.pt === pt)).filter((c): c is Codec => !!c);
    if (m.kind === 'video') out.video ??= ordered.find(isCarriedVideoCodec);
    if (m.kind === 'audio') out.audio ??= pickAudioCodec({ ...m, codecs: ordered });
  }
  if (!out.audio && !out.video) throw new SdpError('the remote answer has none of the codecs we offered');
  return out;
}
