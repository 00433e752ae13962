/**
 * The short-lived token an admitted HLS viewer's playlist puts in the path of every media URI
 * (`/s/<token>/<stream>/<file>`): players that send no header or cookie (Safari, ffplay, VLC) carry it by resolving
 * relative URIs, and media is checked with one HMAC, no I/O, no per-viewer copy of anything. Each names one object
 * and expires a while after that object was first listed (hls-access.ts); the playlist that names new media is checked
 * on every reload.
 * The format, shared with the edge that checks these too: contract/hls-session-token.ts.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { expiredReason, MAC_CHARS, macInput, parseSessionToken, Reasons } from '../../../contract/hls-session-token.ts';

export class HlsSessionTokens {
  readonly #key: Buffer;

  /** `secret`: SIPHON_HLS_SESSION_SECRET; empty: a random key, good for this process only. */
  constructor(secret: string) {
    this.#key = secret ? Buffer.from(secret) : randomBytes(32);
  }

  mint(stream: string, file: string, principal: string, expiresAt: number): string {
    const exp = Math.ceil(expiresAt / 1000).toString(36);
    const who = createHash('sha256').update(principal).digest('base64url').slice(0, 8);
    return `${exp}.${who}.${this.#mac(stream, file, exp, who)}`;
  }

  /** Why the token does not admit to `file` of `stream` now, or undefined when it does. */
  check(token: string, stream: string, file: string, now = Date.now()): string | undefined {
    const parts = parseSessionToken(token);
    if (!parts) return Reasons.malformed;
    const want = Buffer.from(this.#mac(stream, file, parts.exp, parts.who));
    if (!timingSafeEqual(want, Buffer.from(parts.mac))) return Reasons.wrongObject;
    return expiredReason(parts, now);
  }

  #mac(stream: string, file: string, exp: string, who: string): string {
    return createHmac('sha256', this.#key).update(macInput(stream, file, exp, who)).digest('base64url').slice(0, MAC_CHARS);
  }
}
