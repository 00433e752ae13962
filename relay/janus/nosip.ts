/**
 * One NoSIP session: the WebRTC leg of a publisher, a WCS player or a pull, with plain RTP on the
 * relay's side. Two shapes (janus-nosip notes):
 *  - the WebRTC peer offers (publish, play): `generate` its offer → plain offer; `process` our plain
 *    answer → WebRTC answer for the peer;
 *  - Janus offers (pull): `process` our plain offer → WebRTC offer; `generate` the remote's answer.
 */
import type { Logger } from '../log.ts';
import type { JanusApi, PluginHandle, Jsep, PluginReply } from './client.ts';
import { JanusRequestError } from './client.ts';
import { WebrtcLeg } from './webrtc-leg.ts';

interface NosipResult { event?: string; type?: string; sdp?: string }

function resultOf(reply: PluginReply): NosipResult {
  const data = reply.data as { result?: NosipResult } & NosipResult;
  return data.result ?? data;
}

export class NosipLeg extends WebrtcLeg {
  private constructor(handle: PluginHandle, log: Logger) {
    super(handle, log, 'nosip');
    handle.on('event', (reply) => {
      const r = resultOf(reply);
      if (r.event === 'hangup') this.down('hangup');
    });
  }

  static async open(janus: JanusApi, log: Logger): Promise<NosipLeg> {
    return new NosipLeg(await janus.attach('janus.plugin.nosip'), log);
  }

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

  protected override async hangup(): Promise<void> {
    await this.handle.request({ request: 'hangup' });
  }
}
