/** A real WebRTC receiver for WHEP (werift in the test process): the first RTP packet it gets, and how long that took. */
import { RTCPeerConnection, useOPUS, useVP8 } from 'werift';

export class WhepViewer {
  private constructor(private readonly pc: RTCPeerConnection, readonly firstPacketMs: Promise<number>, private readonly resource: string) {}

  /** POSTs the offer to `url` (a relay's /whep/<name>); rejects with the relay's answer when it is not 201. */
  static async open(url: string): Promise<WhepViewer> {
    const started = Date.now();
    const pc = new RTCPeerConnection({ iceServers: [], codecs: { video: [useVP8()], audio: [useOPUS()] } });
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const first = new Promise<number>((resolve) => pc.onTrack.subscribe((track) => {
      if (track.kind === 'video') track.onReceiveRtp.once(() => resolve(Date.now() - started));
    }));
    await pc.setLocalDescription(await pc.createOffer());
    if (pc.iceGatheringState !== 'complete') await pc.iceGatheringStateChange.watch((state) => state === 'complete');
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription!.sdp });
    if (res.status !== 201) {
      await pc.close();
      throw new Error(`WHEP ${url} answered ${res.status}: ${await res.text()}`);
    }
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    return new WhepViewer(pc, first, new URL(res.headers.get('location')!, url).toString());
  }

  /** Leaves as a WHEP client does: DELETE on its session, then the connection closes. */
  async close(): Promise<void> {
    await fetch(this.resource, { method: 'DELETE' }).catch(() => undefined); // its relay may be gone
    await this.pc.close();
  }
}
