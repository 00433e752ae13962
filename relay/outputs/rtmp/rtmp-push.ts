/**
 * One RTMP push of a stream (WCS's `/rest-api/push/startup`): a sink on the stream's tee feeding one ffmpeg
 * that publishes to the target. States: starting (ffmpeg spawned, nothing sent yet) → running (bytes reach
 * the server); restarting after ffmpeg exits (the server restarted, the network broke) with backoff, and
 * when the source restarts (a pull's reconnect: new RTP timing); stopped by terminate or the stream's end.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from '../../log.ts';
import type { Stream } from '../../streams/stream.ts';
import type { Sink, SinkEnd, SinkState } from '../../streams/sink.ts';
import { UdpPair } from '../../media/udp-pair.ts';
import { FedProcess, ProcessFeed } from '../../media/process-feed.ts';
import type { UdpPortPool } from '../../media/udp-port-pool.ts';
import { Machine } from '../../machine.ts';
import type { EncoderSettings } from '../hls/ffmpeg-packager.ts';
import type { PusherProcess, SpawnPusher } from './ffmpeg-rtmp.ts';
import type { RtmpTarget } from './rtmp-target.ts';
import type { Webhooks } from '../../webhooks/webhooks.ts';

export interface RtmpPushDeps { teePorts: UdpPortPool; spawn: SpawnPusher; encoder: EncoderSettings; webhooks: Webhooks }

const RESTART_MAX_MS = 10_000;
/** A new ffmpeg waits for a keyframe to start: asked again until one has gone out. */
const START_KEYFRAME_INTERVAL_MS = 500;
const BITRATE_WINDOW_MS = 2000;

export class RtmpPush extends EventEmitter<{ state: [SinkState] }> implements Sink {
  readonly kind = 'rtmp';
  readonly mediaSessionId = randomUUID();
  readonly needs = { kinds: ['audio', 'video'] as const, keyframeOnStart: true };
  readonly createdAt = Date.now();
  readonly log: Logger;
  attempts = 0;
  bytesSent = 0;
  kbps = 0;
  private readonly pusher = new FedProcess<PusherProcess>();
  private sender: UdpPair | undefined;
  private readonly m: Machine<SinkState>;
  private keyframeTimer: NodeJS.Timeout | undefined;
  private sample = { at: 0, bytes: 0 };
  /** Bytes of earlier ffmpeg runs: ffmpeg counts from 0 each time. */
  private base = 0;

  constructor(readonly stream: Stream, readonly target: RtmpTarget, private readonly deps: RtmpPushDeps, log: Logger) {
    super();
    this.log = log.child({ push: this.mediaSessionId, stream: stream.name, target: target.masked });
    this.m = new Machine<SinkState>({ initial: 'idle', log: this.log, event: 'rtmp.state', infoField: 'reason', ended: ['stopped'],
      retryCapMs: RESTART_MAX_MS, onChange: (to, from) => {
        this.emit('state', to);
        // The target masked, as everywhere the relay shows it: the stream key is the platform's secret.
        deps.webhooks.emit('push.state', stream.name, { kind: 'rtmp', pushId: this.mediaSessionId, target: target.masked, remoteStream: null, from, to, info: this.m.info });
      } });
  }

  get state(): SinkState { return this.m.state; }
  get lastError(): string | null { return this.m.lastError; }

  get id(): string { return this.mediaSessionId; }
  get transcodes(): boolean { return this.pusher.process?.transcodes ?? false; }

  async open(): Promise<void> {
    this.sender = await UdpPair.bind(this.deps.teePorts);
    this.stream.attach(this);
    await this.start('startup');
  }

  sourceStarted(): void {
    if (this.state === 'stopped') return;
    void this.restartNow(this.state === 'idle' ? 'codecs known' : 'source restarted');
  }

  async codecsChanged(): Promise<void> { /* sourceStarted follows with the new codecs */ }
  janusLost(): void { /* RTMP does not go through Janus */ }

  async streamClosed(end: SinkEnd): Promise<void> { await this.finish(`stream ended: ${end.info || end.status}`); }

  /** /push/terminate, or the relay stopping. */
  async close(reason: string): Promise<void> {
    this.stream.detach(this);
    await this.finish(reason);
  }

  private async finish(reason: string): Promise<void> {
    if (this.state === 'stopped') return;
    this.m.next();
    this.m.cancelRetry();
    this.m.to('stopped', reason);
    await this.stopPusher();
    this.sender?.close();
  }

  private async restartNow(reason: string): Promise<void> {
    this.m.next();
    this.m.cancelRetry();
    await this.stopPusher();
    await this.start(reason);
  }

  private async start(reason: string): Promise<void> {
    const { codecs } = this.stream;
    if (this.state === 'stopped' || !this.sender || (!codecs.audio && !codecs.video)) return;
    const generation = this.m.next();
    let feed: ProcessFeed;
    try {
      feed = await ProcessFeed.reserve(this.deps.teePorts, codecs);
    } catch (err) {
      this.onExit(generation, `no UDP ports for ffmpeg: ${(err as Error).message}`);
      return;
    }
    if (!this.m.current(generation)) { feed.release(); return; }
    const { ports } = feed;
    this.attempts += 1;
    this.m.to(this.attempts > 1 ? 'restarting' : 'starting', reason);
    const pusher = this.deps.spawn({ codecs, ports, target: this.target, encoder: this.deps.encoder }, this.log);
    pusher.on('progress', this.m.guard(generation, (bytes: number) => this.onProgress(bytes)));
    pusher.once('exited', (why) => this.onExit(generation, why));
    feed.connect(this.stream.tee, this.sender.rtp, codecs);
    this.pusher.set(pusher, feed);
    this.sample = { at: Date.now(), bytes: this.bytesSent };
    this.stream.requestKeyframe('rtmp push started');
    clearInterval(this.keyframeTimer);
    this.keyframeTimer = setInterval(() => this.stream.requestKeyframe('rtmp push waits for a keyframe'), START_KEYFRAME_INTERVAL_MS);
  }

  private onProgress(total: number): void {
    if (this.state !== 'running' && total > 0) {
      this.m.succeeded();
      this.base = this.bytesSent;
      clearInterval(this.keyframeTimer);
      this.m.to('running', 'sending');
    }
    this.bytesSent = this.base + total;
    const now = Date.now();
    if (now - this.sample.at >= BITRATE_WINDOW_MS) {
      this.kbps = Math.round(((this.bytesSent - this.sample.bytes) * 8) / (now - this.sample.at));
      this.sample = { at: now, bytes: this.bytesSent };
    }
  }

  private onExit(generation: number, why: string): void {
    if (!this.m.current(generation)) return;
    this.m.lastError = why;
    this.kbps = 0;
    const wait = this.m.retry(() => void this.start('after a failure'));
    this.log.warn('rtmp.push_failed', { why, restartInMs: wait });
    void this.stopPusher();
    this.m.to('restarting', why);
  }

  private async stopPusher(): Promise<void> {
    clearInterval(this.keyframeTimer);
    await this.pusher.stop();
  }
}
