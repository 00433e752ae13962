/**
 * The stream's Janus Streaming mountpoint, named after the stream: what Siphon's viewer page watches
 * (WHEP viewers get a NoSIP leg each: webrtc/player.ts). Its one owner: start() is idempotent (concurrent calls share one start), a
 * failed create releases the handle it attached, and a start overtaken by a close, a codec change or
 * a Janus loss lets go of what it got — destroying it in Janus unless that Janus is gone. Closing waits
 * for a start in flight, so the name is never free in Janus later than in the relay. The video
 * stream's rtcpport is latched so viewers' PLIs reach the source through the tee.
 */
import type { Logger } from '../../log.ts';
import type { Tee } from '../../media/tee.ts';
import { UdpPair } from '../../media/udp-pair.ts';
import type { UdpPortPool } from '../../media/udp-port-pool.ts';
import { emptyReceiverReport } from '../../media/rtcp.ts';
import { Mountpoint } from '../../janus/mountpoint.ts';
import type { PluginHandle } from '../../janus/client.ts';
import type { JanusAccess } from '../../janus/supervisor.ts';
import type { Codec } from '../../sdp/description.ts';
import type { RestartableSink, SinkState } from '../../streams/sink.ts';
import type { Stream } from '../../streams/stream.ts';

const MOUNTPOINT_RTCP_SSRC = 0x51fa0002;

export interface MountpointDeps { janus: JanusAccess; teePorts: UdpPortPool; log: Logger }

interface Held { handle: PluginHandle; mountpoint?: Mountpoint; pair?: UdpPair; unlink: (() => void)[] }

export class MountpointSink implements RestartableSink {
  readonly kind = 'mountpoint';
  // No keyframe at start: nobody watches an empty mountpoint; each viewer asks for one through the rtcpport.
  readonly needs = { kinds: ['audio', 'video'] as const, keyframeOnStart: false };
  state: SinkState = 'idle';
  private held: Held | undefined;
  private starting: { promise: Promise<void>; wanted: number } | undefined;
  /** Bumped when what a start in flight would make is no longer wanted (close, codecs changed, Janus lost). */
  private wanted = 0;
  /** Bumped when Janus is lost: what was made in an earlier Janus is gone with it. */
  private janusEpoch = 0;

  /** What relay.ts gives every stream as its own outputs: a mountpoint named after the stream. */
  static forEveryStream(deps: Omit<MountpointDeps, 'log'>): (stream: Stream) => RestartableSink[] {
    return (stream) => [new MountpointSink(stream.name, stream.tee, () => stream.codecs, { ...deps, log: stream.log })];
  }

  constructor(readonly id: string, private readonly tee: Tee, private readonly codecs: () => { audio?: Codec; video?: Codec },
    private readonly deps: MountpointDeps) {}

  get ports() { return this.state === 'running' ? this.held?.mountpoint?.ports : undefined; }

  start(): Promise<void> {
    if (this.state === 'running' || this.state === 'stopped') return Promise.resolve();
    if (this.starting?.wanted !== this.wanted) {
      const wanted = this.wanted;
      // An overtaken start still holds (or is making) a mountpoint of the same id: let it release that first.
      const overtaken = this.starting?.promise.catch(() => undefined);
      const promise = (overtaken ? overtaken.then(() => this.open(wanted)) : this.open(wanted))
        .finally(() => { if (this.starting?.promise === promise) this.starting = undefined; });
      this.starting = { promise, wanted };
    }
    return this.starting.promise;
  }

  private async open(wanted: number): Promise<void> {
    const janusEpoch = this.janusEpoch;
    const current = () => wanted === this.wanted;
    if (!current() || this.state === 'stopped') return;
    this.setState('starting');
    let held: Held;
    try {
      held = { handle: await this.deps.janus.current.attach('janus.plugin.streaming'), unlink: [] };
    } catch (err) {
      if (current()) this.setState('idle');
      throw err;
    }
    try {
      held.mountpoint = await Mountpoint.create(held.handle, this.deps.janus.streamingAdminKey, this.id, this.codecs());
      held.pair = await UdpPair.bind(this.deps.teePorts);
    } catch (err) {
      await this.release(held, janusEpoch === this.janusEpoch);
      if (current()) this.setState('idle');
      throw err;
    }
    if (!current()) { await this.release(held, janusEpoch === this.janusEpoch); return; }
    this.link(held);
    this.held = held;
    this.setState('running');
    this.deps.log.info('mountpoint.created', { ports: held.mountpoint.ports });
  }

  private link(held: Held): void {
    const mp = held.mountpoint!;
    const pair = held.pair!;
    const codecs = this.codecs();
    for (const kind of ['audio', 'video'] as const) {
      const codec = codecs[kind];
      const port = mp.ports[kind];
      if (codec && port) held.unlink.push(this.tee.addSink({ kind, from: pair.rtp, port, pt: codec.pt }));
    }
    if (mp.ports.videoRtcp) {
      this.tee.listenForKeyframeRequests(pair.rtcp, 'viewer');
      pair.rtcp.send(emptyReceiverReport(MOUNTPOINT_RTCP_SSRC), mp.ports.videoRtcp, '127.0.0.1');
    }
  }

  /** Lets go of what a start got; talks to Janus (destroy, detach) only while that Janus is still ours. */
  private async release(held: Held, janusAlive: boolean): Promise<void> {
    for (const unlink of held.unlink) unlink();
    held.pair?.close();
    if (!janusAlive) return;
    if (held.mountpoint) await held.mountpoint.destroy().catch((err) => this.deps.log.warn('mountpoint.destroy_failed', { err }));
    await held.handle.close(this.deps.log);
  }

  janusLost(): void {
    this.janusEpoch += 1;
    this.wanted += 1;
    const held = this.held;
    this.held = undefined;
    if (held) void this.release(held, false);
    if (this.state !== 'stopped') this.setState('idle');
  }

  async codecsChanged(): Promise<void> {
    await this.close('idle');
  }

  async streamClosed(): Promise<void> {
    await this.close('stopped');
  }

  private async close(to: SinkState): Promise<void> {
    this.wanted += 1;
    const inFlight = this.starting?.promise;
    const held = this.held;
    this.held = undefined;
    this.setState(to);
    if (held) {
      await this.release(held, true);
      this.deps.log.info('mountpoint.destroyed');
    }
    await inFlight?.catch(() => undefined); // it releases what it made itself; wait so Janus no longer has it
  }

  private setState(to: SinkState): void {
    if (this.state === to) return;
    this.deps.log.debug('sink.state', { sink: this.kind, from: this.state, to });
    this.state = to;
  }
}
