/** One WHEP viewer: a Player of the stream (a NoSIP leg answering the viewer's offer, fed by the tee, its PLIs routed up). */
import type { RelayContext } from '../context.ts';
import type { Stream } from '../streams/stream.ts';
import { Player } from '../webrtc/player.ts';
import { WishSession } from './wish-session.ts';

export class WhepSession extends WishSession {
  readonly kind = 'whep';
  readonly media: Player;

  constructor(private readonly stream: Stream, ctx: RelayContext, onEnd: (s: WishSession) => void) {
    super(stream.name, onEnd);
    this.media = new Player(this.id, stream.name, ctx, this.client(), 'whep');
  }

  protected open(offer: string): Promise<string> { return this.media.start(this.stream, offer); }

  end(info = 'Stopped by WHEP DELETE'): void { this.media.end({ status: 'STOPPED', info }); }
}
