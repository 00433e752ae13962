/**
 * One WHIP publisher: a Publisher like an SDK one (same name rules, same statuses for its players, playable
 * by every output), its offer from an HTTP POST instead of a WCS socket.
 */
import type { RelayContext } from '../context.ts';
import { Publisher } from '../webrtc/publisher.ts';
import { WishSession } from './wish-session.ts';

export class WhipSession extends WishSession {
  readonly kind = 'whip';
  readonly media: Publisher;

  constructor(name: string, ctx: RelayContext, onEnd: (s: WishSession) => void) {
    super(name, onEnd);
    this.media = new Publisher(this.id, name, ctx, this.client(), 'publisher');
  }

  /** The name, held until the publish ends or fails; false: the name is a stream or a pull already. */
  claimName(): boolean { return this.media.claimName(); }

  protected open(offer: string): Promise<string> { return this.media.start(offer); }

  end(info = 'Stopped by WHIP DELETE'): void { this.media.end({ status: 'UNPUBLISHED', info }); }
}
