/**
 * The B3 baseline: the same job as a Siphon pull, done the way a pure-JavaScript agent would, with
 * werift (WebRTC, SRTP and DTLS in JS) receiving from the origin over the WCS protocol and forwarding
 * plain RTP to Janus Streaming mountpoints. Runs inside the bench namespace; prints one JSON line of
 * counters every 5 s; SIGTERM closes everything and destroys its mountpoints.
 * Args: <count> <origin ws url> <stream> <janus ws url> <streaming admin key>
 */
import { createSocket } from 'node:dgram';
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { RTCPeerConnection, useOPUS, useVP8 } from 'werift';
import { JanusClient } from '../relay/janus/client.ts';
import { Mountpoint } from '../relay/janus/mountpoint.ts';
import { WcsClient } from '../relay/wcs/wcs-client.ts';
import { rootLog } from '../relay/log.ts';
import { opus, vp8 } from '../relay/sdp/description.ts';

const [count, origin, stream, janusUrl, adminKey] = [Number(process.argv[2]), process.argv[3]!, process.argv[4]!, process.argv[5]!, process.argv[6]!];
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
const stats = { forwarded: 0, lost: 0, playing: 0 };
const janus = await JanusClient.connect(janusUrl);
const handle = await janus.attach('janus.plugin.streaming');
const sock = createSocket('udp4');
await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
const closers: (() => Promise<void> | void)[] = [];

async function pull(i: number): Promise<void> {
  const mp = await Mountpoint.create(handle, adminKey, `werift-${i}`, { video: vp8(96), audio: opus(111) });
  closers.push(() => mp.destroy().catch(() => undefined));
  const client = await WcsClient.connect(origin, { rejectUnauthorized: true, connectTimeoutMs: 10_000, silenceTimeoutMs: 60_000, maxFrameBytes: 1 << 20 });
  closers.push(() => client.close());
  const pc = new RTCPeerConnection({ iceServers: [], codecs: { video: [useVP8()], audio: [useOPUS()] } });
  closers.push(() => pc.close());
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  let counted = false;
  pc.onTrack.subscribe((track) => {
    const port = track.kind === 'video' ? mp.ports.video! : mp.ports.audio!;
    let last = -1;
    track.onReceiveRtp.subscribe((rtp) => {
      if (!counted) { counted = true; stats.playing += 1; }
      const seq = rtp.header.sequenceNumber;
      if (last >= 0) { const gap = (seq - last + 65536) % 65536; if (gap > 1 && gap < 1000) stats.lost += gap - 1; } // same rule as the tee
      last = seq;
      sock.send(rtp.serialize(), port, '127.0.0.1');
      stats.forwarded += 1;
    });
  });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise<void>((r) => (pc.iceGatheringState === 'complete' ? r() : pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && r())));
  const id = randomUUID();
  const answer = await client.play({ mediaSessionId: id, name: stream, sdp: pc.localDescription!.sdp }, 15_000);
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
}

for (let i = 0; i < count; i++) await pull(i);
const timer = setInterval(() => {
  console.log(JSON.stringify({ ...stats, lagP99Ms: lag.percentile(99) / 1e6 }));
  lag.reset();
}, 5000);
process.on('SIGTERM', async () => {
  clearInterval(timer);
  for (const c of closers.reverse()) await c();
  await janus.close();
  rootLog.info('werift_agent.stopped');
  process.exit(0);
});
