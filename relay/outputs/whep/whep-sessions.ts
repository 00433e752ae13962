/** The relay's WHEP viewers, by session id; each is also a media session of the registry (find_all, metrics). */
import type { RelayContext } from '../../context.ts';
import type { Stream } from '../../streams/stream.ts';
import { WhepSession } from './whep-session.ts';

const ENDED_SESSION_KEPT_MS = 10_000;

export class WhepSessions {
  private readonly sessions = new Map<string, WhepSession>();

  constructor(private readonly ctx: RelayContext) {}

  get size(): number { return [...this.sessions.values()].filter((s) => !s.player.isEnded).length; }
  get(id: string): WhepSession | undefined { return this.sessions.get(id); }

  /** Starts a viewer of `stream`; resolves with the session and its answer, or rejects with nothing left behind. */
  async open(stream: Stream, offer: string): Promise<{ session: WhepSession; answer: string }> {
    const session = new WhepSession(stream.name, this.ctx, (s) => this.ended(s));
    this.ctx.registry.claimMediaSession(session.id);
    this.ctx.registry.bindMediaSession(session.player);
    this.sessions.set(session.id, session);
    try {
      const answer = await session.start(stream, offer);
      if (session.player.isEnded) throw new Error(session.player.info || 'ended while starting');
      session.player.log.info('whep.session_created', { session: session.id });
      return { session, answer };
    } catch (err) {
      this.forget(session);
      throw err;
    }
  }

  /** DELETE, REST terminate: ends the viewer (its leg and sockets go) and forgets it. */
  close(id: string, info?: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    session.end(info);
    this.forget(session);
    return true;
  }

  /** REST terminate: only a live viewer counts. */
  terminate(id: string, info: string): boolean {
    return !this.sessions.get(id)?.player.isEnded && this.close(id, info);
  }

  closeAll(): void {
    for (const id of [...this.sessions.keys()]) this.close(id, 'relay shutting down');
  }

  /**
   * A viewer that hung up (its PeerConnection closed) usually sends its DELETE a moment later: the resource
   * stays for that, answering 200, then goes.
   */
  private ended(session: WhepSession): void {
    this.ctx.registry.releaseMediaSession(session.id);
    setTimeout(() => this.forget(session), ENDED_SESSION_KEPT_MS).unref();
  }

  private forget(session: WhepSession): void {
    if (this.sessions.delete(session.id)) this.ctx.registry.releaseMediaSession(session.id);
  }
}
