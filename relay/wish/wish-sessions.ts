/** The relay's WHIP publishers and WHEP viewers, by session id; each is also a media session of the registry (find_all, metrics). */
import type { RelayContext } from '../context.ts';
import type { Stream } from '../streams/stream.ts';
import { WhepSession } from './whep-session.ts';
import { WhipSession } from './whip-session.ts';
import type { WishKind, WishSession } from './wish-session.ts';
import type { WishGrant } from './wish-access.ts';
import type { AccessLease } from '../access/access-lease.ts';
import type { Grant } from '../access/token-verifier.ts';
import { Info } from '../streams/status.ts';

/** A client that hung up usually sends its DELETE a moment later: an ended session answers it (200) this long. */
const ENDED_SESSION_KEPT_MS = 10_000;

export class NameInUseError extends Error {
  override name = 'NameInUseError';
}

export class WishSessions {
  private readonly sessions = new Map<string, WishSession>();
  private readonly leases = new Map<string, AccessLease>();

  constructor(private readonly ctx: RelayContext) {}

  count(kind: WishKind): number { return [...this.sessions.values()].filter((s) => s.kind === kind && !s.media.isEnded).length; }
  get(id: string): WishSession | undefined { return this.sessions.get(id); }

  /** A WHEP viewer of `stream`. */
  play(stream: Stream, offer: string, grant: WishGrant = {}): Promise<{ session: WishSession; answer: string }> {
    return this.open(new WhepSession(stream, this.ctx, (s) => this.ended(s)), offer, grant);
  }

  /** A WHIP publisher of `name`; rejects with NameInUseError when the name is a stream or a pull already. */
  publish(name: string, offer: string, grant: WishGrant = {}): Promise<{ session: WishSession; answer: string }> {
    const session = new WhipSession(name, this.ctx, (s) => this.ended(s));
    if (!session.claimName()) return Promise.reject(new NameInUseError(`"${name}" is already a stream or a pull on this relay`));
    return this.open(session, offer, grant);
  }

  /** A PATCH with a fresh token: the session now ends when that token does. */
  renew(session: WishSession, grant: Grant): void {
    this.leases.get(session.id)?.renew(grant);
  }

  /**
   * `grant.owner`: the principal whose credential created the session; its PATCH and DELETE need the same one. The
   * session ends when its access does (expiry, unless renewed; a revoke).
   */
  private async open(session: WishSession, offer: string, grant: WishGrant): Promise<{ session: WishSession; answer: string }> {
    session.owner = grant.owner;
    this.leases.set(session.id, this.ctx.access.lease(session.streamName, { protocol: session.kind, sessionId: session.id }, grant.grant,
      (why) => this.close(session.id, why === 'revoked' ? Info.accessRevoked : Info.accessExpired)));
    this.ctx.registry.claimMediaSession(session.id);
    this.ctx.registry.bindMediaSession(session.media);
    this.sessions.set(session.id, session);
    try {
      const answer = await session.start(offer);
      session.media.log.info(`${session.kind}.session_created`, { session: session.id });
      return { session, answer };
    } catch (err) {
      this.forget(session);
      throw err;
    }
  }

  /** DELETE: ends the session (its leg and sockets go) and forgets it. */
  close(id: string, info?: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    session.end(info);
    this.forget(session);
    return true;
  }

  /** REST terminate: only a live session counts. */
  terminate(id: string, info: string): boolean {
    return this.sessions.get(id)?.media.isEnded === false && this.close(id, info);
  }

  closeAll(): void {
    for (const id of [...this.sessions.keys()]) this.close(id, 'relay shutting down');
  }

  private ended(session: WishSession): void {
    this.leases.get(session.id)?.release();
    this.ctx.registry.releaseMediaSession(session.id);
    setTimeout(() => this.forget(session), ENDED_SESSION_KEPT_MS).unref();
  }

  private forget(session: WishSession): void {
    this.leases.get(session.id)?.release();
    this.leases.delete(session.id);
    if (this.sessions.delete(session.id)) this.ctx.registry.releaseMediaSession(session.id);
  }
}
