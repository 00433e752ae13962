/**
 * One WHEP viewer: a Player of the stream (a NoSIP leg answering the viewer's offer, fed by the tee, its
 * PLIs routed up) behind an HTTP resource instead of a WCS socket. Its ETag names the ICE session: the
 * ICE credentials of the viewer's latest offer. Trickled candidates go to Janus as they come.
 */
import { randomUUID } from 'node:crypto';
import type { RelayContext } from '../../context.ts';
import type { Stream } from '../../streams/stream.ts';
import { Player } from '../wcs-player/player.ts';
import { parseSdp } from '../../sdp/session.ts';
import type { StreamStatus } from '../../wcs/status.ts';
import { parseSdpFragment } from './sdp-fragment.ts';

export class WhepSession {
  readonly id = randomUUID();
  readonly player: Player;
  private mids: string[] = [];
  private ufrag = '';

  constructor(readonly streamName: string, ctx: RelayContext, onEnd: (s: WhepSession) => void) {
    this.player = new Player(this.id, streamName, ctx, {
      notify: (status: StreamStatus, info?: string) => {
        if (this.player?.isEnded) onEnd(this);
        else if (status !== 'PENDING') this.player?.log.debug('whep.status', { status, info });
      },
      streamEvent: () => undefined,
    }, 'player');
  }

  get etag(): string { return `"${this.ufrag || this.id}"`; }
  get status(): StreamStatus { return this.player.status; }

  /** Returns the SDP answer; on failure the session is ended and has let go of everything. */
  async start(stream: Stream, offer: string): Promise<string> {
    const parsed = parseSdp(offer);
    this.mids = parsed.media.map((m, i) => m.mid ?? String(i));
    this.ufrag = /^a=ice-ufrag:(\S+)/m.exec(offer)?.[1] ?? '';
    try {
      return await this.player.start(stream, offer);
    } catch (err) {
      this.player.end({ status: 'FAILED', info: (err as Error).message });
      throw err;
    } finally {
      await this.player.settle();
    }
  }

  /** Trickle (PATCH): hands the candidates to Janus. */
  async trickle(body: string): Promise<void> {
    const fragment = parseSdpFragment(body, this.mids);
    for (const candidate of fragment.candidates) await this.player.trickle(candidate);
    if (fragment.endOfCandidates) await this.player.trickle(null);
  }

  end(info = 'Stopped by WHEP DELETE'): void {
    this.player.end({ status: 'STOPPED', info });
  }
}
