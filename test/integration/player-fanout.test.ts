/**
 * WHEP viewers and WCS players (what the SDK's Player is to the relay) are served from the stream's Janus mountpoint,
 * as the viewer page is: the patched Streaming plugin answers each one's offer (streaming-viewer-offer.patch), so the
 * relay's Node sends one copy of each packet whatever the number of players. Real receivers (another relay pulling
 * over WHEP and over WCS: ICE, DTLS, SRTP decryption, NACKs) get every packet, and a player's keyframe request
 * (werift as a WHEP client, its m-lines in another order than the mountpoint's) reaches the source through the
 * mountpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTCPeerConnection, useOPUS, useVP8 } from 'werift';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess, type LogLine } from '../harness/relay-process.ts';
import { metric } from '../../bench/lib.ts';

const WHEP_VIEWERS = 4;
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('players on the mountpoint', () => {
  let ns: NetNamespace;
  let origin: RelayProcess;
  let source: RelayProcess;
  let viewers: RelayProcess;

  // The source relay pulls the stream, so the keyframe requests its tee forwards up are in its log.
  beforeAll(async () => {
    ns = NetNamespace.create();
    [origin, source, viewers] = await Promise.all([
      RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'origin', SIPHON_DEMO_KBPS: '500', SIPHON_DEMO_SIZE: '320x180' }),
      RelayProcess.start(ns, RelayProcess.slot(1)),
      RelayProcess.start(ns, RelayProcess.slot(2)),
    ]);
    const res = await fetch(`${source.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: origin.innerWsUrl, remoteStreamName: 'origin', localStreamName: 'cam' }) });
    expect(res.status).toBe(200);
    await source.waitFor((l) => l.event === 'mountpoint.created' && l.stream === 'cam', 30_000);
  });

  afterAll(async () => {
    await Promise.all([origin, source, viewers].map((r) => r?.stop()));
    ns?.destroySync();
  });

  it(`${WHEP_VIEWERS} WHEP viewers and a WCS player watch the mountpoint and get every packet; one copy leaves Node`, async () => {
    const pull = (body: unknown) => fetch(`${viewers.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify(body) });
    for (let i = 0; i < WHEP_VIEWERS; i++) expect((await pull({ uri: `${source.url}/whep/cam`, localStreamName: `whep${i}` })).status).toBe(200);
    expect((await pull({ uri: source.innerWsUrl, remoteStreamName: 'cam', localStreamName: 'wcs' })).status).toBe(200);
    await expect.poll(() => metric(viewers.url, 'siphon_pulls_playing'), { timeout: 30_000 }).toBe(WHEP_VIEWERS + 1);

    const answered = source.lines.filter((l) => l.event === 'player.answered' && l.stream === 'cam');
    expect(answered).toHaveLength(WHEP_VIEWERS + 1);
    expect(answered.every((l) => l.via === 'mountpoint')).toBe(true);

    const [in0, lost0, sent0] = [await metric(viewers.url, 'siphon_media_packets_in_total'), await metric(viewers.url, 'siphon_media_packets_lost'),
      await metric(source.url, 'siphon_media_packets_in_total')];
    await delay(5000);
    const [received, lost, sourced] = [(await metric(viewers.url, 'siphon_media_packets_in_total')) - in0,
      (await metric(viewers.url, 'siphon_media_packets_lost')) - lost0, (await metric(source.url, 'siphon_media_packets_in_total')) - sent0];
    console.log(`${WHEP_VIEWERS + 1} players: ${received} packets in 5 s of ${sourced} the source made, ${lost} lost`);
    // Each player gets what the source made (the window edges differ by a few packets).
    expect(received).toBeGreaterThan((WHEP_VIEWERS + 1) * sourced * 0.9);
    expect(lost).toBe(0);
  });

  it("a WHEP player's keyframe request reaches the source through the mountpoint, whatever its m-line order", async () => {
    // werift offers audio first, the mountpoint has video first: the request names the player's own m-line.
    const pc = new RTCPeerConnection({ iceServers: [], codecs: { video: [useVP8()], audio: [useOPUS()] } });
    try {
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
      const video = new Promise<{ ssrc: number; pli: (ssrc: number) => void }>((resolve) => pc.onTrack.subscribe((track) => {
        if (track.kind !== 'video') return;
        const receiver = pc.getTransceivers().find((t) => t.receiver.tracks.includes(track))!.receiver;
        track.onReceiveRtp.once((rtp) => resolve({ ssrc: rtp.header.ssrc, pli: (s) => void receiver.sendRtcpPLI(s) }));
      }));
      await pc.setLocalDescription(await pc.createOffer());
      // WHEP without trickle: the offer carries the candidates.
      if (pc.iceGatheringState !== 'complete') await pc.iceGatheringStateChange.watch((state) => state === 'complete');
      const res = await fetch(`${source.url}/whep/cam`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription!.sdp });
      expect(res.status).toBe(201);
      await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
      const { ssrc, pli } = await video;

      const fromViewer = (after: number) => (l: LogLine) => l.event === 'stream.keyframe_request' && l.stream === 'cam' && l.reason === 'viewer'
      && Date.parse(String(l.t)) >= after;
      // Clear of the join's own requests (the relay's, merged for 100 ms; the mountpoint's, one per 200 ms).
      await source.waitFor((l) => l.event === 'stream.keyframe_request' && l.stream === 'cam' && String(l.reason).startsWith('player'), 10_000);
      await delay(500);
      const sent = Date.now();
      pli(ssrc);
      await source.waitFor(fromViewer(sent), 5_000);
    } finally {
      await pc.close();
    }
  });
});
