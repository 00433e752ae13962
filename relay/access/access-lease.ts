/**
 * An admitted session's hold on its access: it ends the session when its grant expires, unless renewed by a fresh
 * token, or at once when a revocation covers it. Every protocol's session holds one (WCS streams, WHIP/WHEP, the
 * viewer page), so expiry and revocation work alike everywhere; HLS, which has no session on the relay, ends at its
 * next playlist request instead.
 */
import type { Grant } from './token-verifier.ts';

export type LeaseEnd = 'expired' | 'revoked';

/** Which session a lease guards, as an `access.revoked` webhook names it. */
export interface LeaseHolder { protocol: string; sessionId: string }

const MAX_TIMER_MS = 2 ** 31 - 1;

export class AccessLease {
  #grant: Grant | undefined;
  #timer: NodeJS.Timeout | undefined;
  #released = false;
  /** When the session was admitted: a stream's revoke ends the sessions that were there at the time. */
  readonly since = Date.now();

  /** `live`: the set of leases the access control ends on a revoke; a lease leaves it when released. */
  constructor(readonly stream: string, readonly holder: LeaseHolder, grant: Grant | undefined, private readonly onEnd: (why: LeaseEnd) => void,
    private readonly live: Set<AccessLease>) {
    live.add(this);
    this.renew(grant);
  }

  get grant(): Grant | undefined { return this.#grant; }

  /**
   * The session's access now ends with `grant` (a fresh token); undefined: it does not end by itself. An older token
   * shown later (a WHEP client trickling with the credential it started with) does not shorten it.
   */
  renew(grant: Grant | undefined): void {
    if (this.#released) return;
    const until = this.#grant?.expiresAt;
    if (until !== undefined && grant?.expiresAt !== undefined && grant.expiresAt < until) return;
    this.#grant = grant;
    clearTimeout(this.#timer);
    const at = grant?.expiresAt;
    this.#timer = at === undefined ? undefined : setTimeout(() => this.end('expired'), Math.min(Math.max(0, at - Date.now()), MAX_TIMER_MS));
  }

  /** Ends the session it guards (once). */
  end(why: LeaseEnd): void {
    if (this.#released) return;
    this.release();
    this.onEnd(why);
  }

  /** The session ended by itself: nothing to end any more. */
  release(): void {
    this.#released = true;
    clearTimeout(this.#timer);
    this.live.delete(this);
  }
}
