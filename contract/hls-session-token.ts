/**
 * The format of the session token a guarded relay puts in its HLS media paths (`/s/<token>/<stream>/<file>`), one
 * definition for the relay (which mints and checks it with node:crypto) and the edge (which checks it with Web
 * Crypto before serving media from its cache): `<expiry, s since the epoch, base 36>.<principal hash>.<MAC>`, the
 * MAC an HMAC-SHA256 of `macInput`, base64url, cut to MAC_CHARS, under the key both share (SIPHON_HLS_SESSION_SECRET
 * on the relays, HLS_SESSION_SECRET on the edge).
 *
 * A token is bound to one media object (its file name): one that leaks opens that object only, and a viewer whose
 * access ended cannot name the next one, since the playlist that would name it is refused.
 */
export const MAC_CHARS = 22;
const FORMAT = /^([0-9a-z]{1,10})\.([A-Za-z0-9_-]{8})\.([A-Za-z0-9_-]{22})$/;

export interface SessionTokenParts { exp: string; who: string; mac: string }

export const parseSessionToken = (token: string): SessionTokenParts | undefined => {
  const m = FORMAT.exec(token);
  return m ? { exp: m[1]!, who: m[2]!, mac: m[3]! } : undefined;
};

export const macInput = (stream: string, file: string, exp: string, who: string) => `hls|${stream}|${file}|${exp}|${who}`;

export const expiresAtOf = (exp: string) => parseInt(exp, 36) * 1000;

/** Why a well-formed token whose MAC matched does not admit now, or undefined. */
export const expiredReason = (parts: SessionTokenParts, now: number) =>
  (expiresAtOf(parts.exp) <= now ? 'session token expired; reload the playlist' : undefined);

export const Reasons = { malformed: 'malformed session token', wrongObject: 'session token not valid for this stream or file' } as const;
