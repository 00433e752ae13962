/**
 * One pull: a remote WCS stream (or a WHEP endpoint's) played through a Janus NoSIP leg (Janus offers, the remote answers)
 * into the tee of a local stream named `localStreamName`. A supervised state machine:
 *
 *   NEW → PENDING → PLAYING          an attempt connects, the remote answers, media flows
 *   PENDING | PLAYING → FAILED       the attempt failed or stalled; `info`/`lastError` say why
 *   FAILED → PENDING                 after a capped, jittered backoff
 *   any → TERMINATED                 only /pull/terminate (or relay shutdown) gets here
 *
 * Every attempt has an id; events from an older attempt are ignored, so a late close or status from
 * a dead connection can never touch the current one.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../../config.ts';
import type { Logger } from '../../log.ts';
import { NosipLeg } from '../../janus/nosip.ts';
import type { JanusSupervisor } from '../../janus/supervisor.ts';
import type { Stream } from '../../streams/stream.ts';
import { h264Baseline, opus, parseSdp, plainSdp, vp8 } from '../../sdp/description.ts';
import { codecsFromAnswer } from '../../sdp/remote-answer.ts';
import { RemoteError, REMOTE_TERMINAL, remoteReason, WcsClient, type PlayRequest, type RemoteStatus } from '../../wcs/wcs-client.ts';
import { Machine } from '../../machine.ts';
import { OriginProbe, type Reach } from '../../wcs/origin-probe.ts';
import { WhepClient } from './whep-client.ts';
import { guardedLookup } from '../../wcs/origins.ts';
import { LinkMonitor } from './link-monitor.ts';
import type { Webhooks } from '../../webhooks/webhooks.ts';
import { playoutDelayMs } from './playout-delay.ts';
import { isWhepUri, type PullLink } from '../../../contract/pull.ts';

/** What a pull attempt asks of its origin: a WCS server over its Websocket API, or a WHEP endpoint. */
interface OriginClient {
  play(r: PlayRequest, timeoutMs: number): Promise<string>;
  stop(r: { mediaSessionId: string; name: string; status: string }): void;
  close(): void;
  on(event: 'closed', listener: (reason: string) => void): unknown;
  on(event: 'status', listener: (s: RemoteStatus) => void): unknown;
  removeAllListeners(event: 'closed' | 'status'): unknown;
}

export type PullState = 'NEW' | 'PENDING' | 'PLAYING' | 'FAILED' | 'TERMINATED';

export interface PullSpec {
  uri: string; remoteStreamName: string; localStreamName: string;
  /** The edge's placement epoch, when an edge placed this pull (its reconciliation fences stale copies by it). */
  epoch?: number;
}

/** What a pull needs from the relay (a RelayContext has it all): Janus's API for its leg, its Admin API for the leg's statistics. */
export interface PullDeps { config: Config; log: Logger; janus: Pick<JanusSupervisor, 'current' | 'handleInfo'>; webhooks: Webhooks; reach?: Reach }

/** With NACK: a lost Opus packet on the pull leg is retransmitted like video (Janus's audio has no RED to viewers). */
const OFFER_AUDIO = { ...opus(111), feedback: ['nack'] };
const OFFER_VIDEO = [vp8(96), h264Baseline(102)];
const SIGNALLING_TIMEOUT_MS = 10_000;
/** How long a leg that went down waits for the remote's own reason before the pull fails with the leg's. */
const LEG_DOWN_GRACE_MS = 250;

export class Pull extends EventEmitter<{ state: [PullState] }> {
  readonly createdAt = Date.now();
  remoteMediaSessionId: string | null = null;
  attempts = 0;
  private legDownTimer: NodeJS.Timeout | undefined;
  private client: OriginClient | undefined;
  private leg: NosipLeg | undefined;
  private remotePlaying = false;
  private webrtcUp = false;
  private onStalled: (() => void) | undefined;
  private readonly log: Logger;
  private readonly probe: OriginProbe;
  private readonly monitor: LinkMonitor;
  private readonly m: Machine<PullState>;

  constructor(readonly spec: PullSpec, readonly stream: Stream, private readonly deps: PullDeps) {
    super();
    this.log = deps.log.child({ pull: stream.mediaSessionId, stream: spec.localStreamName, uri: spec.uri, remoteStream: spec.remoteStreamName });
    this.m = new Machine<PullState>({
      initial: 'NEW', log: this.log, event: 'pull.state', infoField: 'info', newInfoIsTransition: true, ended: ['TERMINATED'],
      extra: () => ({ attempt: this.attempts, lastError: this.lastError }), retryCapMs: deps.config.pullRetryMaxMs,
      onChange: (to, from) => {
        this.stream.setStatus(to === 'PLAYING' ? 'PUBLISHING' : 'PENDING');
        this.emit('state', to);
        deps.webhooks.emit('pull.state', spec.localStreamName,
          { pullId: stream.mediaSessionId, uri: spec.uri, remoteStream: spec.remoteStreamName, from, to, info: this.m.info, attempt: this.attempts });
      },
    });
    this.probe = new OriginProbe(spec.uri, deps.reach);
    this.monitor = new LinkMonitor(stream.tee, (session, handle) => deps.janus.handleInfo(session, handle), this.log);
    this.monitor.on('link', (link) => this.adjustPlayout(link));
  }

  get localMediaSessionId(): string { return this.stream.mediaSessionId; }
  get state(): PullState { return this.m.state; }
  get info(): string { return this.m.info; }
  get lastError(): string | null { return this.m.lastError; }
  get since(): number { return this.m.since; }

  /** Holds the stream's packets for about one NACK round trip once the leg repairs loss (see playout-delay.ts). */
  private adjustPlayout(link: PullLink): void {
    const playout = this.stream.tee.playout;
    const ms = playoutDelayMs(link, playout.delayMs, this.deps.config.pullPlayoutMaxMs);
    if (ms === playout.delayMs) return;
    this.log.info('pull.playout_delay', { fromMs: playout.delayMs, toMs: ms, rttMs: link.rttMs, retransmissions: link.retransmissionsReceived });
    playout.setDelay(ms);
  }

  /** RTT, loss before and after repair, NACKs, retransmissions, keyframe requests, gaps, slowlinks (see PullLink). */
  get link(): PullLink { return this.monitor.link; }

  start(): void {
    this.log.info('pull.created');
    void this.attempt();
  }

  /** Retry now instead of waiting out the backoff (used when Janus comes back). */
  retrySoon(): void {
    if (this.state !== 'FAILED') return;
    this.m.cancelRetry();
    void this.attempt();
  }

  private async attempt(): Promise<void> {
    if (this.state === 'TERMINATED') return;
    const id = this.m.next();
    this.probe.stop();
    this.attempts += 1;
    this.remotePlaying = false;
    this.webrtcUp = false;
    this.m.to('PENDING');
    try {
      await this.negotiate(id);
    } catch (err) {
      this.fail(id, err);
    }
  }

  private async negotiate(id: number): Promise<void> {
    const { config } = this.deps;
    const tls = { ca: config.pullCaFile ? readFileSync(config.pullCaFile) : undefined, rejectUnauthorized: !config.pullAllowSelfSigned,
      lookup: guardedLookup(new URL(this.spec.uri), config.pullAllowedOrigins) };
    const client: OriginClient = isWhepUri(this.spec.uri) ? await WhepClient.connect(this.spec.uri, tls) : await WcsClient.connect(this.spec.uri, {
      ...tls, connectTimeoutMs: SIGNALLING_TIMEOUT_MS,
      silenceTimeoutMs: Math.max(15_000, config.keepAliveIntervalMs * 4), maxFrameBytes: config.maxFrameBytes,
    });
    if (!this.m.current(id)) { client.close(); return; }
    this.client = client;
    client.on('closed', (reason) => this.fail(id, new RemoteError(reason)));
    client.on('status', (s) => this.onRemoteStatus(id, s));

    const leg = await NosipLeg.open(this.deps.janus.current, this.log);
    if (!this.m.current(id)) { void leg.close(); return; }
    this.leg = leg;
    leg.once('down', (reason) => this.legDown(id, reason));
    leg.once('webrtcup', () => { this.webrtcUp = true; this.maybePlaying(id); });
    leg.on('slowlink', (e) => {
      if (!this.m.current(id)) return;
      this.monitor.slowlink();
      this.log.debug('pull.slowlink', { uplink: e.uplink, media: e.media, lost: e.lost });
    });

    const ports = this.stream.ingressPorts;
    const offer = await leg.offer(plainSdp([
      { kind: 'audio', port: ports.audio!, codecs: [OFFER_AUDIO] },
      { kind: 'video', port: ports.video!, codecs: OFFER_VIDEO },
    ], 'recvonly'));
    if (!this.m.current(id)) return;
    const remoteId = randomUUID();
    this.remoteMediaSessionId = remoteId;
    const answer = await client.play({ mediaSessionId: remoteId, name: this.spec.remoteStreamName, sdp: offer }, SIGNALLING_TIMEOUT_MS);
    if (!this.m.current(id)) return;
    const codecs = codecsFromAnswer(answer);
    const nosipPlain = await leg.acceptAnswer(answer);
    if (!this.m.current(id)) return;
    const nosipVideo = nosipPlain ? parseSdp(nosipPlain).media.find((m) => m.kind === 'video')?.port : undefined;
    this.stream.setSourceRtcp(nosipVideo ? nosipVideo + 1 : undefined);
    await this.stream.useCodecs(codecs);
    this.log.info('pull.answered', { remoteMediaSessionId: remoteId, video: codecs.video?.name, audio: codecs.audio?.name });
  }

  private onRemoteStatus(id: number, s: RemoteStatus): void {
    if (!this.m.current(id) || s.mediaSessionId !== this.remoteMediaSessionId) return;
    if (REMOTE_TERMINAL.has(s.status)) {
      this.fail(id, new RemoteError(remoteReason(s)));
    } else if (s.status === 'PLAYING') {
      this.remotePlaying = true;
      this.maybePlaying(id);
    }
  }

  private maybePlaying(id: number): void {
    if (!this.m.current(id) || !this.remotePlaying || !this.webrtcUp || this.state === 'PLAYING') return;
    this.m.succeeded();
    this.m.to('PLAYING');
    if (this.leg) this.monitor.watch(this.leg);
    this.stream.requestKeyframe('pull playing');
    this.unwatchStall();
    this.onStalled = () => this.fail(id, new RemoteError(`no media for ${this.deps.config.pullStallMs} ms`));
    this.stream.tee.once('stalled', this.onStalled);
    this.stream.tee.watchForStall(this.deps.config.pullStallMs);
  }

  /**
   * A remote that ends the stream sends its status and closes DTLS at about the same moment, and the DTLS
   * alert may come first: the remote's reason ("Stopped by publisher stop", UNPUBLISHED) says more than
   * "hangup: DTLS alert", so it gets a moment to arrive.
   */
  private legDown(id: number, reason: string): void {
    const err = new RemoteError(`WebRTC leg ended: ${reason}`);
    if (!this.client) return this.fail(id, err);
    clearTimeout(this.legDownTimer);
    this.legDownTimer = setTimeout(() => this.fail(id, err), LEG_DOWN_GRACE_MS);
  }

  private unwatchStall(): void {
    this.stream.tee.stopStallWatch();
    if (this.onStalled) this.stream.tee.off('stalled', this.onStalled);
    this.onStalled = undefined;
  }

  private fail(id: number, err: unknown): void {
    if (!this.m.current(id)) return;
    this.m.next(); // whatever the failed attempt still emits is now stale
    const message = (err as Error)?.message ?? String(err);
    this.m.lastError = message;
    this.endAttempt();
    this.m.to('FAILED', message);
    const wait = this.m.retry(() => void this.attempt());
    this.log.warn('pull.retry_scheduled', { inMs: wait, failuresInARow: this.m.failuresInARow, reason: message });
    this.probe.watch(() => {
      if (this.state !== 'FAILED') return; // an attempt or terminate stops the probe; this is belt and braces
      this.log.info('pull.origin_back', { insteadOfMs: wait });
      this.retrySoon();
    });
  }

  /** Tells the remote we stop (when we can) and releases this attempt's connection and leg. */
  private endAttempt(): void {
    this.monitor.unwatch();
    this.unwatchStall();
    clearTimeout(this.legDownTimer);
    const client = this.client;
    const leg = this.leg;
    this.client = undefined;
    this.leg = undefined;
    if (client) {
      if (this.remoteMediaSessionId) client.stop({ mediaSessionId: this.remoteMediaSessionId, name: this.spec.remoteStreamName, status: this.state });
      client.removeAllListeners('closed');
      client.removeAllListeners('status');
      client.close();
    }
    void leg?.close();
  }

  /** The only way a pull ends. */
  async terminate(reason: string): Promise<void> {
    if (this.state === 'TERMINATED') return;
    this.m.cancelRetry();
    this.probe.stop();
    this.m.next();
    this.endAttempt();
    this.m.to('TERMINATED', reason);
    await this.stream.close({ status: 'UNPUBLISHED', info: reason }, { status: 'STOPPED', info: 'Stopped by publisher stop' });
  }
}
