/**
 * A viewer that offers (a WHEP client, a WCS SDK Player) watching a stream's Streaming mountpoint: Janus answers its
 * offer (relay/janus/build/streaming-viewer-offer.patch) and sends it the mountpoint's own fan-out, in the payload
 * types and m-lines it offered. One copy per packet leaves Node for all such viewers, where a NoSIP leg each took one
 * copy per viewer (B13: about half the CPU per packet).
 */
import type { Logger } from '../log.ts';
import type { JanusApi, PluginHandle, PluginReply } from './client.ts';
import { JanusRequestError } from './client.ts';
import { WebrtcLeg } from './webrtc-leg.ts';

interface StreamingResult { status?: string }

/** The Streaming plugin offered instead of answering: a Janus without streaming-viewer-offer.patch (an external one). */
export class MountpointCannotAnswerError extends Error {
  override name = 'MountpointCannotAnswerError';
}

const resultOf = (reply: PluginReply) => ((reply.data as { result?: StreamingResult }).result ?? {});

export class MountpointViewerLeg extends WebrtcLeg {
  private mountpointId: string | undefined;

  private constructor(handle: PluginHandle, log: Logger) {
    super(handle, log, 'mountpoint_viewer');
    // The mountpoint went away under the viewer (its stream closed or changed codecs): Janus says so, then hangs up.
    handle.on('event', (reply) => { if (resultOf(reply).status === 'stopped') this.down('mountpoint stopped'); });
  }

  static async open(janus: JanusApi, log: Logger): Promise<MountpointViewerLeg> {
    return new MountpointViewerLeg(await janus.attach('janus.plugin.streaming'), log);
  }

  /** Watches mountpoint `id` with the viewer's offer; returns Janus's answer. */
  async watch(id: string, offer: string): Promise<string> {
    this.mountpointId = id;
    return this.answerOf(await this.handle.request({ request: 'watch', id }, { type: 'offer', sdp: offer }));
  }

  /** The viewer's new offer for the same media (an ICE restart). */
  async reoffer(offer: string): Promise<string> {
    if (this.mountpointId === undefined) throw new JanusRequestError(0, 'not watching a mountpoint');
    return this.answerOf(await this.handle.request({ request: 'watch', id: this.mountpointId }, { type: 'offer', sdp: offer }));
  }

  private answerOf(reply: PluginReply): string {
    if (reply.jsep?.type !== 'answer' || !reply.jsep.sdp) {
      throw new MountpointCannotAnswerError(`the Streaming plugin sent ${reply.jsep ? `an ${reply.jsep.type}` : 'no SDP'} for a viewer's offer`);
    }
    return reply.jsep.sdp;
  }
}
