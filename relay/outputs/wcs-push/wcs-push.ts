/**
 * One `/rest-api/pull/push`: the reverse of a pull. The relay connects to a remote WCS server (or another
 * Siphon relay) as a WCS client and publishes a local stream there under `remoteStreamName`, through a Janus
 * NoSIP leg that Janus offers and the tee feeds. The same supervised state machine as a pull:
 *
 *   NEW → PENDING → PUBLISHING        an attempt connects, the remote answers and says PUBLISHING, the leg is up
 *   PENDING | PUBLISHING → FAILED     the attempt failed (remote gone, local stream gone, codecs changed)
 *   FAILED → PENDING                  after a capped, jittered backoff, or at once when the remote (or the
 *                                     local stream) is back
 *   any → TERMINATED                  only /pull/terminate (or relay shutdown)
 *
 * Each attempt looks the local stream up by name, so a push outlives a publisher that republishes or a pull
 * that reconnects. Events of an older attempt are ignored.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RelayContext } from '../../context.ts';
import type { Logger } from '../../log.ts';
import { NosipLeg } from '../../janus/nosip.ts';
import { UdpPair } from '../../media/udp-pair.ts';
import type { TeeSink } from '../../media/tee.ts';
import { parseSdp, plainSdp, type MediaKind } from '../../sdp/description.ts';
import type { Stream } from '../../streams/stream.ts';
import type { Sink, SinkEnd, SinkNeeds, SinkState } from '../../streams/sink.ts';
import { Machine } from '../../machine.ts';
import { RemoteError, REMOTE_TERMINAL, remoteReason, WcsClient, type RemoteStatus } from '../../wcs/wcs-client.ts';
import { OriginProbe, type Reach } from '../../wcs/origin-probe.ts';
import { guardedLookup } from '../../wcs/origins.ts';

export type PushState = 'NEW' | 'PENDING' | 'PUBLISHING' | 'FAILED' | 'TERMINATED';

export interface PushSpec { uri: string; localStreamName: string; remoteStreamName: string }

export type PushDeps = Pick<RelayContext, 'config' | 'log' | 'janus' | 'registry' | 'teePorts' | 'webhooks'> & { reach?: Reach };

const SIGNALLING_TIMEOUT_MS = 10_000;

/** What one attempt holds; released together when it ends. */
interface Attempt {
  id: number;
  client?: WcsClient;
  leg?: NosipLeg;
  stream?: Stream;
  pairs: UdpPair[];
  sinks: TeeSink[];
  unlink: (() => void)[];
  remotePublishing: boolean;
  webrtcUp: boolean;
}

export class WcsPush extends EventEmitter<{ state: [PushState] }> implements Sink {
  readonly kind = 'wcs-push';
  readonly id = randomUUID();
  readonly createdAt = Date.now();
  readonly needs: SinkNeeds = { kinds: ['audio', 'video'], keyframeOnStart: false };
  remoteMediaSessionId: string | null = null;
  attempts = 0;
  private current: Attempt;
  private readonly log: Logger;
  private readonly m: Machine<PushState>;
  private readonly probe: OriginProbe;
  private readonly onStreamAdded = (s: Stream) => { if (s.name === this.spec.localStreamName) this.retrySoon('local stream is back'); };

  constructor(readonly spec: PushSpec, readonly deps: PushDeps) {
    super();
    this.log = deps.log.child({ push: this.id, stream: spec.localStreamName, uri: spec.uri, remoteStream: spec.remoteStreamName });
    this.m = new Machine<PushState>({
      initial: 'NEW', log: this.log, event: 'push.state', infoField: 'info', newInfoIsTransition: true, ended: ['TERMINATED'],
      extra: () => ({ attempt: this.attempts, lastError: this.lastError }), retryCapMs: deps.config.pullRetryMaxMs,
      onChange: (to, from) => {
        this.emit('state', to);
        deps.webhooks.emit('push.state', spec.localStreamName,
          { kind: 'wcs', pushId: this.id, target: spec.uri, remoteStream: spec.remoteStreamName, from, to, info: this.m.info });
      },
    });
    this.current = this.newAttempt();
    this.probe = new OriginProbe(spec.uri, deps.reach);
  }

  /** The Sink view: what the stream's sink list shows. */
  get state(): SinkState {
    return this.pushState === 'PUBLISHING' ? 'running' : this.pushState === 'TERMINATED' ? 'stopped' : 'starting';
  }

  get pushState(): PushState { return this.m.state; }
  get info(): string { return this.m.info; }
  get lastError(): string | null { return this.m.lastError; }
  get since(): number { return this.m.since; }

  /** Bytes sent to the remote by the current attempt. */
  get bytesOut(): number { return this.current.sinks.reduce((n, s) => n + (s.bytes ?? 0), 0); }

  start(): void {
    this.log.info('push.created');
    this.deps.registry.on('added', this.onStreamAdded);
    void this.attempt();
  }

  /** Retry now instead of waiting out the backoff (the remote or the local stream is back, Janus came back). */
  retrySoon(why: string): void {
    if (this.pushState !== 'FAILED') return;
    this.log.info('push.retry_now', { why });
    this.m.cancelRetry();
    void this.attempt();
  }

  // Sink: what the local stream tells its outputs.
  async streamClosed(end: SinkEnd): Promise<void> { this.fail(this.current.id, new RemoteError(`local stream ended: ${end.info || end.status}`)); }
  janusLost(): void {
    this.current.leg = undefined; // gone with Janus: nothing to hang up
    this.fail(this.current.id, new RemoteError('media server connection lost'));
  }
  async codecsChanged(): Promise<void> { this.fail(this.current.id, new RemoteError('local stream changed codecs; publishing again')); }
  sourceStarted(): void { this.current.stream?.requestKeyframe(`push ${this.id}: source restarted`); }

  private async attempt(): Promise<void> {
    if (this.pushState === 'TERMINATED') return;
    this.probe.stop();
    this.attempts += 1;
    const a = this.current = this.newAttempt();
    this.m.to('PENDING');
    try {
      await this.negotiate(a);
    } catch (err) {
      this.fail(a.id, err);
    }
  }

  private newAttempt(): Attempt {
    return { id: this.m.next(), pairs: [], sinks: [], unlink: [], remotePublishing: false, webrtcUp: false };
  }

  private async negotiate(a: Attempt): Promise<void> {
    const { config, registry, teePorts } = this.deps;
    const stream = registry.get(this.spec.localStreamName);
    if (!stream || stream.isClosed || (!stream.codecs.audio && !stream.codecs.video)) {
      throw new RemoteError(`local stream "${this.spec.localStreamName}" is not published on this relay`);
    }
    const kinds = (['audio', 'video'] as const).filter((k) => stream.codecs[k]);
    const client = await WcsClient.connect(this.spec.uri, {
      ca: config.pullCaFile ? readFileSync(config.pullCaFile) : undefined, rejectUnauthorized: !config.pullAllowSelfSigned,
      connectTimeoutMs: SIGNALLING_TIMEOUT_MS, silenceTimeoutMs: Math.max(15_000, config.keepAliveIntervalMs * 4), maxFrameBytes: config.maxFrameBytes,
      lookup: guardedLookup(new URL(this.spec.uri), config.pullAllowedOrigins),
    });
    a.client = client;
    if (!this.m.current(a.id)) return this.release(a);
    client.on('closed', (reason) => this.fail(a.id, new RemoteError(reason)));
    client.on('status', (s) => this.onRemoteStatus(a, s));

    const pairs = new Map<MediaKind, UdpPair>();
    for (const kind of kinds) {
      const pair = await UdpPair.bind(teePorts);
      a.pairs.push(pair);
      pairs.set(kind, pair);
    }
    a.leg = await NosipLeg.open(this.deps.janus.current, this.log);
    if (!this.m.current(a.id)) return this.release(a);
    a.leg.once('down', (reason) => this.fail(a.id, new RemoteError(`WebRTC leg ended: ${reason}`)));
    a.leg.once('webrtcup', () => { a.webrtcUp = true; this.maybePublishing(a); });

    const offer = await a.leg.offer(plainSdp(kinds.map((kind) => ({ kind, port: pairs.get(kind)!.port, codecs: [stream.codecs[kind]!] })), 'sendonly'));
    if (!this.m.current(a.id)) return;
    const remoteId = randomUUID();
    this.remoteMediaSessionId = remoteId;
    const answer = await client.publish({
      mediaSessionId: remoteId, name: this.spec.remoteStreamName, sdp: offer, hasAudio: kinds.includes('audio'), hasVideo: kinds.includes('video'),
    }, SIGNALLING_TIMEOUT_MS);
    if (!this.m.current(a.id)) return;
    const nosipPlain = parseSdp(await a.leg.acceptAnswer(answer));
    if (!this.m.current(a.id)) return;
    if (stream.isClosed) throw new RemoteError(`local stream "${this.spec.localStreamName}" ended`);
    this.feed(a, stream, nosipPlain.media.map((m) => ({ kind: m.kind as MediaKind, port: m.port })), pairs);
    this.log.info('push.answered', { remoteMediaSessionId: remoteId, kinds: a.sinks.map((s) => s.kind) });
  }

  /** The tee sends the local stream to NoSIP's plain ports; NoSIP's PLIs (the remote's) go to the source. */
  private feed(a: Attempt, stream: Stream, nosip: { kind: MediaKind; port: number }[], pairs: Map<MediaKind, UdpPair>): void {
    a.stream = stream;
    stream.attach(this);
    for (const { kind, port } of nosip) {
      const pair = pairs.get(kind);
      const codec = stream.codecs[kind];
      if (!pair || !codec || port === 0) continue;
      const sink: TeeSink = { kind, from: pair.rtp, port, pt: codec.pt };
      a.sinks.push(sink);
      a.unlink.push(stream.tee.addSink(sink));
      if (kind === 'video') stream.tee.listenForKeyframeRequests(pair.rtcp, `push ${this.id}`);
    }
    if (a.sinks.length === 0) throw new RemoteError('the remote accepted none of the stream\'s media');
  }

  private onRemoteStatus(a: Attempt, s: RemoteStatus): void {
    if (!this.m.current(a.id) || s.mediaSessionId !== this.remoteMediaSessionId) return;
    if (REMOTE_TERMINAL.has(s.status)) this.fail(a.id, new RemoteError(remoteReason(s)));
    else if (s.status === 'PUBLISHING') { a.remotePublishing = true; this.maybePublishing(a); }
  }

  private maybePublishing(a: Attempt): void {
    if (!this.m.current(a.id) || !a.remotePublishing || !a.webrtcUp || this.pushState === 'PUBLISHING') return;
    this.m.succeeded();
    this.m.to('PUBLISHING');
    a.stream?.requestKeyframe(`push ${this.id} publishing`);
  }

  private fail(id: number, err: unknown): void {
    const a = this.current;
    if (!this.m.current(id) || this.pushState === 'FAILED') return;
    const message = (err as Error)?.message ?? String(err);
    this.m.lastError = message;
    this.current = this.newAttempt(); // whatever the failed attempt still emits is now stale
    this.release(a);
    this.m.to('FAILED', message);
    const wait = this.m.retry(() => void this.attempt());
    this.log.warn('push.retry_scheduled', { inMs: wait, failuresInARow: this.m.failuresInARow, reason: message });
    this.probe.watch(() => this.retrySoon('remote is back'));
  }

  /** Tells the remote we stop (when we can) and releases the attempt's connection, leg, sockets and tee sinks. */
  private release(a: Attempt): void {
    for (const unlink of a.unlink.splice(0)) unlink();
    a.stream?.detach(this);
    a.stream = undefined;
    const { client, leg } = a;
    a.client = undefined;
    a.leg = undefined;
    if (client) {
      if (this.remoteMediaSessionId) client.stop({ mediaSessionId: this.remoteMediaSessionId, name: this.spec.remoteStreamName, status: 'UNPUBLISHED', published: true });
      client.removeAllListeners('closed');
      client.removeAllListeners('status');
      client.close();
    }
    void leg?.close();
    for (const pair of a.pairs.splice(0)) pair.close();
  }

  /** The only way a push ends. */
  async terminate(reason: string): Promise<void> {
    if (this.pushState === 'TERMINATED') return;
    this.m.cancelRetry();
    this.probe.stop();
    this.deps.registry.off('added', this.onStreamAdded);
    const a = this.current;
    this.current = this.newAttempt();
    this.release(a);
    this.m.to('TERMINATED', reason);
  }
}
