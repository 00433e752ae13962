/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "<webhook-id>.<webhook-timestamp>.<body>">`, keyed with the bytes of a `whsec_<base64>` secret, so a receiver can
 * verify with any off-the-shelf library. Hand-written on node:crypto rather than the `standardwebhooks` package: it is
 * three lines, and the relay then carries no dependency into its one place that holds the key.
 */
import { createHmac } from 'node:crypto';

const PREFIX = 'whsec_';
/** The spec's lower bound on a key's length. */
const MIN_KEY_BYTES = 24;

/** The key a `whsec_<base64>` secret holds; why it is not one, otherwise. */
export function signingKey(secret: string): Buffer | string {
  if (!secret.startsWith(PREFIX)) return `must start with ${PREFIX}`;
  const b64 = secret.slice(PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return `what follows ${PREFIX} must be base64`;
  const key = Buffer.from(b64, 'base64');
  return key.length >= MIN_KEY_BYTES ? key : `the key must be at least ${MIN_KEY_BYTES} bytes (it is ${key.length})`;
}

/** Signed again at each attempt: the timestamp is the attempt's, which receivers check for freshness. */
export function sign(key: Buffer, id: string, timestampS: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampS}.${body}`).digest('base64')}`;
}
