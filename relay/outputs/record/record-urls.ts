/**
 * Where a recording is downloaded: `/client/records/<file>`, as WCS and the SDK's recording page have it. On a guarded
 * relay (tokens or hooks configured) the URL is signed and expires: `?expires=<s since the epoch>&sig=<HMAC>`, the
 * HMAC over the file and the expiry, so a link handed out (find_all, the publisher's `recordName`) works for its
 * lifetime only and opens that one file. Byte ranges work as before: the signature is in the query, not the path.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { recordsPath } from './record-file.ts';

export class RecordUrls {
  readonly #key: Buffer;

  /** `secret`: SIPHON_RECORD_URL_SECRET; empty: a random key, so links die with the process. `signed`: the relay is guarded. */
  constructor(secret: string, private readonly ttlMs: number, readonly signed: () => boolean) {
    this.#key = secret ? Buffer.from(secret) : randomBytes(32);
  }

  /** The file's download query (`?expires=…&sig=…`), empty on an open relay. */
  query(file: string, now = Date.now()): string {
    if (!this.signed()) return '';
    const expires = Math.ceil((now + this.ttlMs) / 1000);
    return `?expires=${expires}&sig=${this.#mac(file, expires)}`;
  }

  url(file: string): string {
    return recordsPath(file) + this.query(file);
  }

  /** Why a download of `file` is refused, or undefined when it may go ahead. */
  refusal(file: string, expires: string | undefined, sig: string | undefined, now = Date.now()): string | undefined {
    if (!this.signed()) return undefined;
    if (!expires || !sig) return 'this relay serves recordings by signed link only: take the URL from /rest-api/recorder/find_all';
    if (!/^\d{1,12}$/.test(expires)) return 'malformed link';
    const want = Buffer.from(this.#mac(file, Number(expires)));
    const given = Buffer.from(sig);
    if (want.length !== given.length || !timingSafeEqual(want, given)) return 'the link\'s signature does not match this file';
    if (Number(expires) * 1000 <= now) return 'the link has expired: take a fresh one from /rest-api/recorder/find_all';
    return undefined;
  }

  #mac(file: string, expires: number): string {
    return createHmac('sha256', this.#key).update(`record|${file}|${expires}`).digest('base64url').slice(0, 32);
  }
}
