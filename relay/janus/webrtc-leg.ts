/**
 * What every WebRTC leg the relay holds in Janus shares, whichever plugin terminates it (NoSIP: nosip.ts; a
 * Streaming mountpoint's viewer: mountpoint-viewer.ts): its handle's events as `webrtcup`, `slowlink` and one `down`,
 * trickled candidates, and a close that detaches.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../log.ts';
import type { PluginHandle, SlowLink, TrickleCandidate } from './client.ts';

export interface WebrtcLegEvents {
  webrtcup: [];
  /** Janus reports the leg losing many packets (its `slowlink`). */
  slowlink: [SlowLink];
  /** The WebRTC leg ended: hangup from Janus, ICE failure, or (`janusGone`) the Janus connection died. */
  down: [reason: string, janusGone: boolean];
}

export abstract class WebrtcLeg extends EventEmitter<WebrtcLegEvents> {
  private closed = false;

  /** `logAs`: the prefix of this leg's log events (`nosip.down`, `mountpoint_viewer.down`). */
  protected constructor(protected readonly handle: PluginHandle, protected readonly log: Logger, private readonly logAs: string) {
    super();
    handle.on('webrtcup', () => this.emit('webrtcup'));
    handle.on('slowlink', (e) => this.emit('slowlink', e));
    handle.on('hangup', (reason) => this.down(`hangup: ${reason}`));
    // We remove our listeners before detaching ourselves, so a detach seen here means Janus went away.
    handle.on('detached', () => this.down('media server connection lost', true));
  }

  get id(): number { return this.handle.id; }
  /** With `id`, what the Admin API's handle_info needs to name this leg. */
  get sessionId(): number { return this.handle.sessionId; }

  /** A remote candidate the peer trickled after its offer (WHEP/WHIP PATCH); `null`: end of candidates. */
  async trickle(candidate: TrickleCandidate | null): Promise<void> {
    await this.handle.trickle(candidate);
  }

  protected down(reason: string, janusGone = false): void {
    if (this.closed) return;
    this.closed = true;
    this.log.info(`${this.logAs}.down`, { handle: this.handle.id, reason });
    this.emit('down', reason, janusGone);
  }

  /** What the plugin needs told before its handle is detached (NoSIP: a hangup). */
  protected async hangup(): Promise<void> {}

  async close(): Promise<void> {
    const wasClosed = this.closed;
    this.closed = true;
    if (!wasClosed) await this.hangup().catch((err) => this.log.debug(`${this.logAs}.hangup_failed`, { handle: this.handle.id, err }));
    await this.handle.close(this.log);
    this.removeAllListeners();
  }
}
