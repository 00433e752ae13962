/**
 * The edge's check of a guarded relay's HLS session paths (`/hls/s/<token>/<stream>/<file>`): the same HMAC the relay
 * checks (contract/hls-session-token.ts), under HLS_SESSION_SECRET, with no call to anyone, so one cached copy of a
 * media object serves every viewer whose token is good. No secret: the edge cannot tell, and refuses (503 saying how).
 */
import { apiError } from '../../contract/error-body.ts';
import { sameBytes } from '../../contract/same-bytes.ts';
import { expiredReason, MAC_CHARS, macInput, parseSessionToken, Reasons } from '../../contract/hls-session-token.ts';

const keys = new Map<string, Promise<CryptoKey>>();

const keyOf = (secret: string) => {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keys.set(secret, key);
  }
  return key;
};

const base64url = (bytes: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** Throws the 401/403/503 a viewer gets; returns when `token` admits to `stream` now. */
export async function checkSessionPath(env: { HLS_SESSION_SECRET?: string }, token: string, stream: string, file: string): Promise<void> {
  if (!env.HLS_SESSION_SECRET) {
    throw apiError(503, 'misconfigured', 'this edge cannot check HLS session paths: set HLS_SESSION_SECRET to the relays\' SIPHON_HLS_SESSION_SECRET '
      + '(`wrangler secret put HLS_SESSION_SECRET`)');
  }
  const parts = parseSessionToken(token);
  if (!parts) throw apiError(403, 'forbidden', Reasons.malformed);
  const mac = base64url(await crypto.subtle.sign('HMAC', await keyOf(env.HLS_SESSION_SECRET), new TextEncoder().encode(macInput(stream, file, parts.exp, parts.who))));
  const encode = (text: string) => new TextEncoder().encode(text);
  if (!sameBytes(encode(mac.slice(0, MAC_CHARS)), encode(parts.mac))) throw apiError(403, 'forbidden', Reasons.wrongObject);
  const expired = expiredReason(parts, Date.now());
  if (expired) throw apiError(403, 'forbidden', expired);
}
