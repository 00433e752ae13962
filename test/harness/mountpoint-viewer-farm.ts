/**
 * B13's mountpoint viewers: Streaming-plugin viewers of relay B's mountpoint (the path the viewer page takes), each a
 * real WebRTC receiver in the farm's Janus (a NoSIP leg: ICE, DTLS, SRTP decryption, NACKs) whose plain RTP lands on
 * one UDP socket here, where losses after repair are counted per leg (SSRC). Runs inside the namespace where both
 * Janus APIs listen. Commands on stdin, one JSON answer per line on stdout:
 *   `add N`  → viewers up to N in all, `{ "viewers": N, "up": webrtcups so far }`
 *   `stats`  → `{ "received", "lost", "late": packets since the start, "legs": SSRCs seen }` (late: after a later one)
 * Usage: node --import tsx test/harness/mountpoint-viewer-farm.ts <B's Janus ws URL> <farm Janus ws URL> <mountpoint id> <sink port (even)>
 */
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { JanusClient } from '../../relay/janus/client.ts';
import { NosipLeg } from '../../relay/janus/nosip.ts';
import { parseSdp, plainSdp } from '../../relay/sdp/description.ts';
import { RtpLoss } from '../../relay/media/rtp-loss.ts';
import { rootLog, setLogLevel } from '../../relay/log.ts';

const [bUrl, farmUrl, mountpoint, portArg] = process.argv.slice(2);
const sinkPort = Number(portArg);
setLogLevel('error');

const losses = new Map<number, RtpLoss>();
/** Per SSRC, the highest sequence number seen, to count packets that came after a later one (out of order). */
const highest = new Map<number, number>();
let late = 0;
const rtp = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
rtp.on('message', (p: Buffer) => {
  if (p.length < 12) return;
  const ssrc = p.readUInt32BE(8);
  const seq = p.readUInt16BE(2);
  let loss = losses.get(ssrc);
  if (!loss) losses.set(ssrc, loss = new RtpLoss());
  loss.add(seq, ssrc);
  const top = highest.get(ssrc);
  if (top !== undefined && ((seq - top) & 0xffff) > 0x8000) late += 1;
  else highest.set(ssrc, seq);
});
const rtcp = createSocket('udp4'); // NoSIP sends its reports here; a closed port would answer with ICMP errors
await Promise.all([new Promise<void>((r) => rtp.bind(sinkPort, '127.0.0.1', r)), new Promise<void>((r) => rtcp.bind(sinkPort + 1, '127.0.0.1', r))]);
rtcp.on('message', () => undefined);

const [b, farm] = await Promise.all([JanusClient.connect(bUrl!), JanusClient.connect(farmUrl!)]);
let viewers = 0;
let up = 0;

async function addViewer(): Promise<void> {
  const watch = await b.attach('janus.plugin.streaming');
  const offer = (await watch.request({ request: 'watch', id: mountpoint })).jsep?.sdp;
  if (!offer) throw new Error(`watch ${mountpoint}: no offer from B`);
  const leg = await NosipLeg.open(farm, rootLog);
  leg.once('webrtcup', () => { up += 1; });
  const answer = await leg.answer(offer, (plainOffer) => plainSdp(parseSdp(plainOffer).media.map((m) =>
    ({ kind: m.kind, port: m.codecs.length ? sinkPort : 0, codecs: m.codecs.slice(0, 1) })), 'recvonly'));
  await watch.request({ request: 'start' }, { type: 'answer', sdp: answer });
  viewers += 1;
}

const answer = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const [command, n] = line.trim().split(/\s+/);
  if (command === 'add') {
    while (viewers < Number(n)) await addViewer();
    answer({ viewers, up });
  } else if (command === 'stats') {
    let received = 0;
    let lost = 0;
    for (const l of losses.values()) { received += l.expected - l.lost; lost += l.lost; }
    answer({ received, lost, late, legs: losses.size });
  }
}
process.exit(0);
