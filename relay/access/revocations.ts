/**
 * What `POST /rest-api/access/revoke` took away, kept until each revocation's `until`: a subject's tokens issued up to
 * the revoke (a fresh token issued after it works again, so a user can be let back in without a new `sub`), one
 * token by `jti`, or every session of a stream (tokens issued up to then refused for it).
 */
import type { Revocation } from '../../contract/access.ts';
import type { Grant } from './token-verifier.ts';

const MAX_KEPT = 10_000;

export class Revocations {
  readonly #kept: Revocation[] = [];

  constructor(private readonly onDrop: (r: Revocation) => void = () => undefined) {}

  /** In force now (expired ones are dropped at the next add). */
  get size(): number { return this.#kept.length; }

  /** False when the same revocation is already kept (the edge sends its list again after a relay restarts). */
  add(r: Revocation): boolean {
    this.#prune(Date.now());
    const same = this.#kept.find((k) => k.sub === r.sub && k.jti === r.jti && k.stream === r.stream);
    if (same) {
      same.until = Math.max(same.until, r.until);
      if (same.at >= r.at) return false;
      same.at = r.at;
      return true;
    }
    this.#kept.push(r);
    // Past the cap the oldest goes, and says so: its tokens work again.
    const dropped = this.#kept.length > MAX_KEPT ? this.#kept.shift() : undefined;
    if (dropped) this.onDrop(dropped);
    return true;
  }

  /** Why this grant no longer admits to `stream`, or undefined. */
  refuses(grant: Grant, stream: string | undefined, now = Date.now()): string | undefined {
    const r = this.#kept.find((k) => k.until > now && matchesGrant(k, grant, stream));
    if (!r) return undefined;
    return r.jti ? 'the token was revoked' : r.sub ? `tokens of "${r.sub}" issued before ${new Date(r.at).toISOString()} were revoked`
      : `access to "${r.stream}" was revoked`;
  }

  #prune(now: number): void {
    for (let i = this.#kept.length - 1; i >= 0; i--) if (this.#kept[i]!.until <= now) this.#kept.splice(i, 1);
  }
}

const issuedBy = (grant: Grant, at: number) => grant.issuedAt === undefined || grant.issuedAt <= at;

function matchesGrant(r: Revocation, grant: Grant, stream: string | undefined): boolean {
  if (r.jti !== undefined) return grant.jti === r.jti;
  if (r.sub !== undefined) return grant.sub === r.sub && issuedBy(grant, r.at);
  return stream === r.stream && issuedBy(grant, r.at);
}

/**
 * Whether a running session falls under `r` and ends now: by its grant (a token the revocation refuses), or, for a
 * stream's revocation, because it was there when the revocation was made (hook-admitted ones too). A session that
 * came later on a fresh token is left alone, so the edge can repeat a revocation without cutting off newcomers.
 */
export function endsSession(r: Revocation, session: { stream: string; grant?: Grant; since: number }): boolean {
  if (r.stream !== undefined && session.stream === r.stream && session.since <= r.at) return true;
  return session.grant !== undefined && matchesGrant(r, session.grant, session.stream);
}
