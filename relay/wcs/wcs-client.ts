/**
 * The pull agent's side of the WCS Websocket API: connect, `connection` → `getUserData`, answer
 * every `ping`, and hand the other frames to the pull. A remote that sends garbage, goes silent or
 * closes ends this connection only; the pull decides whether to retry.
 */
import { EventEmitter } from 'node:events';
import type { LookupFunction } from 'node:net';
import WebSocket from 'ws';
import { frame, parseFrame, type Frame } from './frame.ts';

export class RemoteError extends Error {
  override name = 'RemoteError';
}

/** A `notifyStreamStatusEvent` of the remote (or its `fail` for one of our streams, as FAILED). */
export interface RemoteStatus { mediaSessionId: string; status: string; info: string }

export interface WcsClientEvents {
  frame: [Frame];
  status: [RemoteStatus];
  closed: [reason: string];
}

export interface PlayRequest { mediaSessionId: string; name: string; sdp: string }

/** Statuses after which the remote plays nothing more on that mediaSessionId (the SDK's terminal ones). */
export const REMOTE_TERMINAL: ReadonlySet<string> = new Set(['UNPUBLISHED', 'STOPPED', 'FAILED']);

/** The remote's reason: its info, or the status name when it gives none. */
export const remoteReason = (s: RemoteStatus) => s.info || s.status;

function statusOf(f: Frame): RemoteStatus | undefined {
  const o = f.data[0] as { mediaSessionId?: unknown; id?: unknown; status?: unknown; info?: unknown; apiMethod?: unknown } | undefined;
  const info = typeof o?.info === 'string' ? o.info : '';
  if (f.message === 'notifyStreamStatusEvent' && typeof o?.mediaSessionId === 'string') {
    return { mediaSessionId: o.mediaSessionId, status: String(o.status), info };
  }
  if (f.message === 'fail' && o?.apiMethod === 'StreamStatusEvent' && typeof o.id === 'string') {
    return { mediaSessionId: o.id, status: 'FAILED', info };
  }
  return undefined;
}

export interface WcsClientOptions {
  ca?: Buffer;
  rejectUnauthorized: boolean;
  connectTimeoutMs: number;
  /** The remote pings every 5 s; this much silence means the connection is dead. */
  silenceTimeoutMs: number;
  maxFrameBytes: number;
  /** How the host name becomes the address dialled (the agent's guard against metadata addresses). */
  lookup?: LookupFunction;
}

export class WcsClient extends EventEmitter<WcsClientEvents> {
  private silenceTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private closeReason = '';

  private constructor(private readonly ws: WebSocket, private readonly options: WcsClientOptions) {
    super();
    ws.on('message', (data, isBinary) => this.onMessage(data.toString(), isBinary));
    ws.on('close', (code, reason) => this.finish(`remote closed the connection (${code}${reason.length ? ` ${reason}` : ''})`));
    ws.on('error', (err) => this.finish(`connection error: ${err.message}`));
    this.armSilenceTimer();
  }

  /**
   * The handlers are attached before the handshake completes: a server may send its first `ping` in the
   * same TCP segment as the 101 response, and ws parses that frame before an `await` after `open` resumes.
   */
  static async connect(uri: string, options: WcsClientOptions): Promise<WcsClient> {
    const ws = new WebSocket(uri, {
      ca: options.ca, rejectUnauthorized: options.rejectUnauthorized, handshakeTimeout: options.connectTimeoutMs,
      maxPayload: options.maxFrameBytes, lookup: options.lookup,
    });
    const client = new WcsClient(ws, options);
    await new Promise<void>((resolve, reject) => {
      const onOpen = () => { client.off('closed', onClosed); resolve(); };
      const onClosed = (reason: string) => {
        ws.off('open', onOpen);
        reject(new RemoteError(`cannot connect to ${uri}: ${reason.replace(/^connection error: /, '')}`));
      };
      ws.once('open', onOpen);
      client.once('closed', onClosed);
    });
    client.send('connection', {
      appKey: 'defaultApp', mediaProviders: ['WebRTC'], clientVersion: '2.0', clientOSVersion: 'siphon',
      clientBrowserVersion: 'siphon-relay', msePacketizationVersion: 2, custom: {},
    });
    try {
      await client.next((f) => f.message === 'getUserData', options.connectTimeoutMs, 'getUserData');
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  /** Plays `name`: resolves with the remote's answer, rejects with its reason if it ends the stream first. */
  async play(r: PlayRequest, timeoutMs: number): Promise<string> {
    this.send('playStream', {
      mediaSessionId: r.mediaSessionId, name: r.name, published: false, hasVideo: true, hasAudio: true,
      status: 'PENDING', record: false, width: 0, height: 0, mediaProvider: 'WebRTC', sdp: r.sdp,
      bitrate: 0, minBitrate: 0, maxBitrate: 0, quality: 0, custom: {},
    });
    return this.awaitAnswer(r.mediaSessionId, timeoutMs);
  }

  /** Publishes `name` with our offer (a `/pull/push`): resolves with the remote's answer, rejects with its reason. */
  async publish(r: PlayRequest & { hasAudio: boolean; hasVideo: boolean }, timeoutMs: number): Promise<string> {
    this.send('publishStream', {
      mediaSessionId: r.mediaSessionId, name: r.name, published: true, hasVideo: r.hasVideo, hasAudio: r.hasAudio,
      status: 'PENDING', record: false, mediaProvider: 'WebRTC', sdp: r.sdp, bitrate: 0, minBitrate: 0, maxBitrate: 0, custom: {},
    });
    return this.awaitAnswer(r.mediaSessionId, timeoutMs);
  }

  private async awaitAnswer(mediaSessionId: string, timeoutMs: number): Promise<string> {
    const ended = (f: Frame) => { const st = statusOf(f); return st?.mediaSessionId === mediaSessionId && REMOTE_TERMINAL.has(st.status); };
    const reply = await this.next((f) => (f.message === 'setRemoteSDP' && f.data[0] === mediaSessionId) || ended(f), timeoutMs, 'setRemoteSDP');
    if (reply.message !== 'setRemoteSDP') throw new RemoteError(remoteReason(statusOf(reply)!));
    const answer = reply.data[1];
    if (typeof answer !== 'string') throw new RemoteError('setRemoteSDP without an SDP');
    return answer;
  }

  /** Tells the remote we stop playing, or publishing (no answer expected). */
  stop(r: { mediaSessionId: string; name: string; status: string; published?: boolean }): void {
    this.send('stopStream', {
      mediaSessionId: r.mediaSessionId, name: r.name, published: r.published ?? false, hasVideo: true, hasAudio: true, status: r.status, record: false,
    });
  }

  send(message: string, ...data: unknown[]): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame(message, ...data));
  }

  /** The next frame matching `match`; rejects if the connection ends or `timeoutMs` passes first. */
  private next(match: (f: Frame) => boolean, timeoutMs: number, what: string): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const cleanup = () => { clearTimeout(timer); this.off('frame', onFrame); this.off('closed', onClosed); };
      const onFrame = (f: Frame) => { if (match(f)) { cleanup(); resolve(f); } };
      const onClosed = (reason: string) => { cleanup(); reject(new RemoteError(reason)); };
      const timer = setTimeout(() => { cleanup(); reject(new RemoteError(`no ${what} from the remote within ${timeoutMs} ms`)); }, timeoutMs);
      if (this.closed) return onClosed(this.closeReason);
      this.on('frame', onFrame);
      this.on('closed', onClosed);
    });
  }

  private onMessage(text: string, isBinary: boolean): void {
    this.armSilenceTimer();
    let f: Frame;
    try {
      if (isBinary) throw new RemoteError('binary frame');
      f = parseFrame(text);
    } catch (err) {
      this.close(`malformed frame from the remote: ${(err as Error).message}`);
      return;
    }
    if (f.message === 'ping') this.send('pong', null);
    this.emit('frame', f);
    const status = statusOf(f);
    if (status) this.emit('status', status);
  }

  private armSilenceTimer(): void {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => this.close(`remote silent for ${this.options.silenceTimeoutMs} ms`), this.options.silenceTimeoutMs);
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    clearTimeout(this.silenceTimer);
    this.emit('closed', reason);
  }

  close(reason = 'closed by relay'): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
    setTimeout(() => this.ws.terminate(), 1000).unref();
    this.finish(reason);
  }
}
