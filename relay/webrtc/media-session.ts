/**
 * What publishers and players share: a WCS client's mediaSessionId, its status machine
 * (PENDING → PUBLISHING/PLAYING → terminal) reported through `notify`, the WebRTC leg carrying its
 * media (a NoSIP leg, or a mountpoint viewer's), and the ICE timer that fails it when the leg never comes up.
 */
import type { RelayContext } from '../context.ts';
import type { Logger } from '../log.ts';
import type { WebrtcLeg } from '../janus/webrtc-leg.ts';
import type { TrickleCandidate } from '../janus/client.ts';
import type { UdpPair } from '../media/udp-pair.ts';
import { TERMINAL, type StreamStatus, Info } from '../streams/status.ts';
import type { StreamEnd } from '../streams/stream.ts';

/** The WCS client behind a media session, as the media layer sees it. */
export interface MediaClient {
  notify(status: StreamStatus, info?: string): void;
  streamEvent(type: string, payload: unknown): void;
}

/** A reason to fail a publish/play that the client should read verbatim in `info`. */
export class MediaSessionError extends Error {
  override name = 'MediaSessionError';
}

export abstract class MediaSession {
  status: StreamStatus = 'PENDING';
  protected leg: WebrtcLeg | undefined;
  protected pairs: UdpPair[] = [];
  private iceTimer: NodeJS.Timeout | undefined;
  readonly log: Logger;
  readonly startedAt = Date.now();

  constructor(readonly id: string, readonly name: string, protected readonly ctx: RelayContext,
    readonly client: MediaClient, readonly role: 'publisher' | 'player') {
    this.log = ctx.log.child({ mediaSessionId: id, stream: name, role });
  }

  get isEnded(): boolean { return TERMINAL.has(this.status); }

  protected setStatus(status: StreamStatus, info?: string): void {
    if (this.isEnded || this.status === status) return;
    this.log.info('media_session.status', { from: this.status, to: status, info });
    this.status = status;
    this.client.notify(status, info);
  }

  /** Arms the ICE timer and reports `upStatus` when the WebRTC leg comes up. */
  protected watchLeg(leg: WebrtcLeg, upStatus: StreamStatus, onUp: () => void): void {
    this.iceTimer = setTimeout(() => this.end({ status: 'FAILED', info: Info.iceTimeout }), this.ctx.config.iceTimeoutMs);
    leg.once('webrtcup', () => {
      clearTimeout(this.iceTimer);
      this.setStatus(upStatus);
      onUp();
    });
    leg.once('down', (reason, janusGone) => this.end({
      status: 'FAILED', info: janusGone ? Info.mediaServerDown : `Failed by error: WebRTC leg ended (${reason})`,
    }));
  }

  info = '';

  /** How the leg answers the client's new offer for the same media; set once the first offer is answered. */
  protected reanswer: ((offer: string) => Promise<string>) | undefined;

  /**
   * The client's new offer for the same media (an ICE restart: new credentials): Janus restarts ICE and
   * answers with its own new credentials; what the leg sends and where stays as it was.
   */
  async reoffer(offer: string): Promise<string> {
    if (!this.leg || this.isEnded || !this.reanswer) throw new MediaSessionError('the session has no WebRTC leg (ended, or not started)');
    return this.reanswer(offer);
  }

  /** A candidate the client trickled after its offer (WHIP/WHEP PATCH); `null`: no more. */
  async trickle(candidate: TrickleCandidate | null): Promise<void> {
    if (!this.leg || this.isEnded) throw new MediaSessionError('the session has no WebRTC leg (ended, or not started)');
    await this.leg.trickle(candidate);
  }

  /** Ends this media session once; subclasses release what they hold in `release()`. */
  end(end: StreamEnd): void {
    if (this.isEnded) return;
    clearTimeout(this.iceTimer);
    this.info = end.info;
    this.setStatus(end.status, end.info);
    this.ctx.registry.releaseMediaSession(this.id);
    void this.release(end).catch((err) => this.log.error('media_session.release_failed', { err }));
  }

  /**
   * A session ended while `start()` was still awaiting Janus may have picked up sockets or a leg after
   * its release ran; the caller runs this once `start()` has settled to let go of them too.
   */
  async settle(): Promise<void> {
    if (this.isEnded) await this.release({ status: this.status, info: this.info });
  }

  protected async release(_end: StreamEnd): Promise<void> {
    const leg = this.leg;
    this.leg = undefined;
    await leg?.close();
    for (const pair of this.pairs) pair.close();
    this.pairs = [];
  }
}
