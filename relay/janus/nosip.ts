/**
 * One NoSIP session: the WebRTC leg of a publisher, a WCS player or a pull, with plain RTP on the
 * relay's side. Two shapes (janus-nosip notes):
 *  - the WebRTC peer offers (publish, play): `generate` its offer → plain offer; `process` our plain
 *    answer → WebRTC answer for the peer;
 *  - Janus offers (pull): `process` our plain offer → WebRTC offer; `generate` the remote's answer.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../log.ts';
import type { JanusApi, PluginHandle, Jsep, PluginReply, SlowLink, TrickleCandidate } from './client.ts';
import { JanusRequestError } from './client.ts';

export interface NosipEvents {
  webrtcup: [];
  /** Janus reports the leg losing many packets (its `slowlink`). */
  slowlink: [SlowLink];
  /** The WebRTC leg ended: hangup from Janus, ICE failure, or (`janusGone`) the Janus connection died. */
  down: [reason: string, janusGone: boolean];
}

interface NosipResult { event?: string; type?: string; sdp?: string }

function resultOf(reply: PluginReply): NosipResult {
  const data = reply.data as { result?: NosipResult } & NosipResult;
  return data.result ?? data;
}

export class NosipLeg extends EventEmitter<NosipEvents> {
  private closed = false;

  private constructor(private readonly handle: PluginHandle, private readonly log: Logger) {
    super();
    handle.on('webrtcup', () => this.emit('webrtcup'));
    handle.on('slowlink', (e) => this.emit('slowlink', e));
    handle.on('hangup', (reason) => this.down(`hangup: ${reason}`));
    // We remove our listeners before detaching ourselves, so a detach seen here means Janus went away.
    handle.on('detached', () => this.down('media server connection lost', true));
    handle.on('event', (reply) => {
      const r = resultOf(reply);
      if (r.event === 'hangup') this.down('hangup');
    });
  }

  static async open(janus: JanusApi, log: Logger): Promise<NosipLeg> {
    return new NosipLeg(await janus.attach('janus.plugin.nosip'), log);
  }

  get id(): number { return this.handle.id; }
  /** With `id`, what the Admin API's handle_info needs to name this leg. */
  get sessionId(): number { return this.handle.sessionId; }

  /** The WebRTC peer offered: returns the WebRTC answer once `plainAnswer` has been given the plain offer. */
  async answer(webrtcOffer: string, plainAnswer: (plainOffer: string) => string): Promise<string> {
    const generated = resultOf(await this.handle.request({ request: 'generate' }, { type: 'offer', sdp: webrtcOffer }));
    if (generated.event !== 'generated' || !generated.sdp) throw new JanusRequestError(0, 'NoSIP generate returned no SDP');
    const processed = await this.handle.request({ request: 'process', type: 'answer', sdp: plainAnswer(generated.sdp) });
    if (!processed.jsep?.sdp) throw new JanusRequestError(0, 'NoSIP process returned no WebRTC answer');
    return processed.jsep.sdp;
  }

  /** Janus offers toward a remote: returns the WebRTC offer for our plain offer. */
  async offer(plainOffer: string): Promise<string> {
    const processed = await this.handle.request({ request: 'process', type: 'offer', sdp: plainOffer });
    if (!processed.jsep?.sdp) throw new JanusRequestError(0, 'NoSIP process returned no WebRTC offer');
    return processed.jsep.sdp;
  }

  /** The remote's WebRTC answer to `offer()`; returns NoSIP's plain answer (its own ports). */
  async acceptAnswer(webrtcAnswer: string): Promise<string> {
    const jsep: Jsep = { type: 'answer', sdp: webrtcAnswer };
    const generated = resultOf(await this.handle.request({ request: 'generate' }, jsep));
    return generated.sdp ?? '';
  }

  /** A remote candidate the peer trickled after its offer (WHEP/WHIP PATCH); `null`: end of candidates. */
  async trickle(candidate: TrickleCandidate | null): Promise<void> {
    await this.handle.trickle(candidate);
  }

  private down(reason: string, janusGone = false): void {
    if (this.closed) return;
    this.closed = true;
    this.log.info('nosip.down', { handle: this.handle.id, reason });
    this.emit('down', reason, janusGone);
  }

  async close(): Promise<void> {
    const wasClosed = this.closed;
    this.closed = true;
    if (!wasClosed) {
      await this.handle.request({ request: 'hangup' }).catch((err) => this.log.debug('nosip.hangup_failed', { err }));
    }
    await this.handle.close(this.log);
    this.removeAllListeners();
  }
}
