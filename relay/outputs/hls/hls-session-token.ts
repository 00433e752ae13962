/**
 * The short-lived token an admitted HLS viewer's playlist puts in the path of every media URI
 * (`/s/<token>/<stream>/<file>`): players that send no header or cookie (Safari, ffplay, VLC) carry it by resolving
 * relative URIs, and media is checked with one HMAC, no I/O, no per-viewer copy of anything. Each playlist (re)load
 * mints a fresh one, so a viewer whose access ends loses the media within one reload plus the token's short life.
 * Format: `<expiry, s since the epoch, base 36>.<principal hash>.<MAC>`; the MAC covers the stream, the expiry and
 * the principal hash, with a key the relay (and an edge in front of it) share.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const MAC_CHARS = 22;

export class HlsSessionTokens {
  readonly #key: Buffer;

  /** `secret`: SIPHON_HLS_SESSION_SECRET; empty: a random key, good for this process only. */
  constructor(secret: string) {
    this.#key = secret ? Buffer.from(secret) : randomBytes(32);
  }

  mint(stream: string, principal: string, expiresAt: number): string {
    const exp = Math.ceil(expiresAt / 1000).toString(36);
    const who = createHash('sha256').update(principal).digest('base64url').slice(0, 8);
    return `${exp}.${who}.${this.#mac(stream, exp, who)}`;
  }

  /** Why the token does not admit to `stream` now, or undefined when it does. */
  check(token: string, stream: string, now = Date.now()): string | undefined {
    const m = /^([0-9a-z]{1,10})\.([A-Za-z0-9_-]{8})\.([A-Za-z0-9_-]{22})$/.exec(token);
    if (!m) return 'malformed session token';
    const [, exp, who, mac] = m;
    const want = Buffer.from(this.#mac(stream, exp!, who!));
    if (!timingSafeEqual(want, Buffer.from(mac!))) return 'session token not valid for this stream';
    if (parseInt(exp!, 36) * 1000 <= now) return 'session token expired; reload the playlist';
    return undefined;
  }

  #mac(stream: string, exp: string, who: string): string {
    return createHmac('sha256', this.#key).update(`hls|${stream}|${exp}|${who}`).digest('base64url').slice(0, MAC_CHARS);
  }
}
