/**
 * One pull: a remote WCS stream played through a Janus NoSIP leg (Janus offers, the remote answers)
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
import type { RelayContext } from '../../context.ts';
import type { Logger } from '../../log.ts';
import { NosipLeg } from '../../janus/nosip.ts';
import type { Stream, StreamCodecs } from '../../streams/stream.ts';
import { h264Baseline, isCarriedVideoCodec, opus, parseSdp, pickAudioCodec, plainSdp, SdpError, vp8, type Codec } from '../../sdp/session.ts';
import type { Frame } from '../../wcs/frame.ts';
import { RemoteError, WcsClient } from './wcs-client.ts';
import { retryDelayMs } from '../../backoff.ts';

export type PullState = 'NEW' | 'PENDING' | 'PLAYING' | 'FAILED' | 'TERMINATED';

export interface PullSpec { uri: string; remoteStreamName: string; localStreamName: string }

const OFFER_AUDIO = opus(111);
const OFFER_VIDEO = [vp8(96), h264Baseline(102)];
const SIGNALLING_TIMEOUT_MS = 10_000;
const STALL_CHECK_MS = 1000;
/** Statuses after which the remote plays nothing more on that mediaSessionId (the SDK's terminal ones). */
const REMOTE_TERMINAL = new Set(['UNPUBLISHED', 'STOPPED', 'FAILED']);

/** The codecs the remote chose: for each kind, the first one we carry, in the answer's own order. */
export function codecsFromAnswer(sdp: string): StreamCodecs {
  const out: StreamCodecs = {};
  for (const m of parseSdp(sdp).media) {
    if (m.port === 0) continue;
    const ordered = m.pts.map((pt) => m.codecs.find((c) => c.pt === pt)).filter((c): c is Codec => !!c);
    if (m.kind === 'video') out.video ??= ordered.find(isCarriedVideoCodec);
    if (m.kind === 'audio') out.audio ??= pickAudioCodec({ ...m, codecs: ordered });
  }
  if (!out.audio && !out.video) throw new SdpError('the remote answer has none of the codecs we offered');
  return out;
}

export class Pull extends EventEmitter<{ state: [PullState] }> {
  readonly createdAt = Date.now();
  remoteMediaSessionId: string | null = null;
  state: PullState = 'NEW';
  info = '';
  lastError: string | null = null;
  attempts = 0;
  since = Date.now();
  private failuresInARow = 0;
  private attemptId = 0;
  private client: WcsClient | undefined;
  private leg: NosipLeg | undefined;
  private remotePlaying = false;
  private webrtcUp = false;
  private playingSince = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(readonly spec: PullSpec, readonly stream: Stream, private readonly ctx: RelayContext) {
    super();
    this.log = ctx.log.child({ pull: stream.mediaSessionId, stream: spec.localStreamName, uri: spec.uri, remoteStream: spec.remoteStreamName });
  }

  get localMediaSessionId(): string { return this.stream.mediaSessionId; }

  start(): void {
    this.log.info('pull.created');
    void this.attempt();
  }

  /** Retry now instead of waiting out the backoff (used when Janus comes back). */
  retrySoon(): void {
    if (this.state !== 'FAILED') return;
    clearTimeout(this.retryTimer);
    void this.attempt();
  }

  private transition(to: PullState, info = ''): void {
    const from = this.state;
    if (from === to && this.info === info) return;
    this.state = to;
    this.info = info;
    this.since = Date.now();
    this.log.info('pull.state', { from, to, info, attempt: this.attempts, lastError: this.lastError });
    this.stream.setStatus(to === 'PLAYING' ? 'PUBLISHING' : 'PENDING');
    this.emit('state', to);
  }

  private async attempt(): Promise<void> {
    if (this.state === 'TERMINATED') return;
    const id = ++this.attemptId;
    this.attempts += 1;
    this.remotePlaying = false;
    this.webrtcUp = false;
    this.transition('PENDING');
    try {
      await this.negotiate(id);
    } catch (err) {
      this.fail(id, err);
    }
  }

  private stale(id: number): boolean { return id !== this.attemptId || this.state === 'TERMINATED'; }

  private async negotiate(id: number): Promise<void> {
    const { config } = this.ctx;
    const client = await WcsClient.connect(this.spec.uri, {
      ca: config.pullCaFile ? readFileSync(config.pullCaFile) : undefined,
      rejectUnauthorized: !config.pullAllowSelfSigned, connectTimeoutMs: SIGNALLING_TIMEOUT_MS,
      silenceTimeoutMs: Math.max(15_000, config.keepAliveIntervalMs * 4), maxFrameBytes: config.maxFrameBytes,
    });
    if (this.stale(id)) { client.close(); return; }
    this.client = client;
    client.on('closed', (reason) => this.fail(id, new RemoteError(reason)));
    client.on('frame', (f) => this.onFrame(id, f));

    const leg = await NosipLeg.open(this.ctx.janus.current, this.log);
    if (this.stale(id)) { void leg.close(); return; }
    this.leg = leg;
    leg.once('down', (reason) => this.fail(id, new RemoteError(`WebRTC leg ended: ${reason}`)));
    leg.once('webrtcup', () => { this.webrtcUp = true; this.maybePlaying(id); });

    const ingress = this.stream.tee.ingress;
    const offer = await leg.offer(plainSdp([
      { kind: 'audio', port: ingress.audio!.port, codecs: [OFFER_AUDIO] },
      { kind: 'video', port: ingress.video!.port, codecs: OFFER_VIDEO },
    ], 'recvonly'));
    if (this.stale(id)) return;
    const remoteId = randomUUID();
    this.remoteMediaSessionId = remoteId;
    client.send('playStream', {
      mediaSessionId: remoteId, name: this.spec.remoteStreamName, published: false, hasVideo: true, hasAudio: true,
      status: 'PENDING', record: false, width: 0, height: 0, mediaProvider: 'WebRTC', sdp: offer,
      bitrate: 0, minBitrate: 0, maxBitrate: 0, quality: 0, custom: {},
    });
    const reply = await client.next((f) => (f.message === 'setRemoteSDP' && f.data[0] === remoteId) || this.isEndFor(remoteId, f),
      SIGNALLING_TIMEOUT_MS, 'setRemoteSDP');
    if (this.stale(id)) return;
    if (reply.message !== 'setRemoteSDP') throw new RemoteError(this.endInfo(reply));
    const answer = reply.data[1];
    if (typeof answer !== 'string') throw new RemoteError('setRemoteSDP without an SDP');
    const codecs = codecsFromAnswer(answer);
    const nosipPlain = await leg.acceptAnswer(answer);
    if (this.stale(id)) return;
    const nosipVideo = nosipPlain ? parseSdp(nosipPlain).media.find((m) => m.kind === 'video')?.port : undefined;
    this.stream.tee.setSourceRtcp(nosipVideo ? nosipVideo + 1 : undefined);
    await this.stream.useCodecs(codecs);
    this.log.info('pull.answered', { remoteMediaSessionId: remoteId, video: codecs.video?.name, audio: codecs.audio?.name });
  }

  private isEndFor(remoteId: string, f: Frame): boolean {
    const o = f.data[0] as { mediaSessionId?: unknown; id?: unknown; status?: unknown; apiMethod?: unknown } | undefined;
    if (f.message === 'notifyStreamStatusEvent') return o?.mediaSessionId === remoteId && REMOTE_TERMINAL.has(String(o.status));
    return f.message === 'fail' && o?.apiMethod === 'StreamStatusEvent' && o.id === remoteId;
  }

  private endInfo(f: Frame): string {
    const o = f.data[0] as { status?: unknown; info?: unknown } | undefined;
    return typeof o?.info === 'string' && o.info ? o.info : String(o?.status ?? f.message);
  }

  private onFrame(id: number, f: Frame): void {
    if (this.stale(id) || !this.remoteMediaSessionId) return;
    if (this.isEndFor(this.remoteMediaSessionId, f)) {
      this.fail(id, new RemoteError(this.endInfo(f)));
      return;
    }
    const o = f.data[0] as { mediaSessionId?: unknown; status?: unknown } | undefined;
    if (f.message === 'notifyStreamStatusEvent' && o?.mediaSessionId === this.remoteMediaSessionId && o.status === 'PLAYING') {
      this.remotePlaying = true;
      this.maybePlaying(id);
    }
  }

  private maybePlaying(id: number): void {
    if (this.stale(id) || !this.remotePlaying || !this.webrtcUp || this.state === 'PLAYING') return;
    this.failuresInARow = 0;
    this.playingSince = Date.now();
    this.transition('PLAYING');
    this.stream.tee.requestKeyframe('pull playing');
    clearInterval(this.stallTimer);
    this.stallTimer = setInterval(() => this.checkStall(id), STALL_CHECK_MS);
  }

  private checkStall(id: number): void {
    if (this.stale(id) || this.state !== 'PLAYING') return;
    const last = Math.max(this.stream.tee.lastRtpAt, this.playingSince);
    if (Date.now() - last > this.ctx.config.pullStallMs) {
      this.fail(id, new RemoteError(`no media for ${this.ctx.config.pullStallMs} ms`));
    }
  }

  private fail(id: number, err: unknown): void {
    if (this.stale(id)) return;
    this.attemptId += 1; // whatever the failed attempt still emits is now stale
    const message = (err as Error)?.message ?? String(err);
    this.lastError = message;
    this.endAttempt();
    this.failuresInARow += 1;
    const wait = retryDelayMs(this.failuresInARow, this.ctx.config.pullRetryMaxMs);
    this.transition('FAILED', message);
    this.log.warn('pull.retry_scheduled', { inMs: wait, failuresInARow: this.failuresInARow, reason: message });
    this.retryTimer = setTimeout(() => void this.attempt(), wait);
  }

  /** Tells the remote we stop (when we can) and releases this attempt's connection and leg. */
  private endAttempt(): void {
    clearInterval(this.stallTimer);
    const client = this.client;
    const leg = this.leg;
    this.client = undefined;
    this.leg = undefined;
    if (client) {
      if (this.remoteMediaSessionId) {
        client.send('stopStream', {
          mediaSessionId: this.remoteMediaSessionId, name: this.spec.remoteStreamName, published: false,
          hasVideo: true, hasAudio: true, status: this.state, record: false,
        });
      }
      client.removeAllListeners('closed');
      client.close();
    }
    void leg?.close();
  }

  /** The only way a pull ends. */
  async terminate(reason: string): Promise<void> {
    if (this.state === 'TERMINATED') return;
    clearTimeout(this.retryTimer);
    this.attemptId += 1;
    this.endAttempt();
    this.transition('TERMINATED', reason);
    await this.stream.close({ status: 'UNPUBLISHED', info: reason }, { status: 'STOPPED', info: 'Stopped by publisher stop' });
  }
}
