/**
 * Our typed face of janode. The relay keeps one Janus session; every NoSIP leg and Streaming request
 * is a handle on it. janode's generic handle cannot settle asynchronous plugin replies (ack, then an
 * `event` on the same transaction), so SettlingHandle settles them itself and re-emits unsolicited ones.
 */
import { EventEmitter } from 'node:events';
import Janode, { type JanodeConnection, type JanodeSession, type JanusMessage } from 'janode';
import JanodeHandle from 'janode/handle';
import type { Logger } from '../log.ts';

Janode.Logger.setLevel('none');

export type Jsep = { type: 'offer' | 'answer'; sdp: string };
export interface PluginReply { data: Record<string, unknown>; jsep?: Jsep }

/** A plugin refused a request (`error_code`/`error` in its reply) or Janus refused it. */
export class JanusRequestError extends Error {
  override name = 'JanusRequestError';
  constructor(readonly code: number, message: string) { super(`${code} ${message}`); }
}

/** The Janus connection went away while a request was pending or was attempted. */
export class JanusUnavailableError extends Error {
  override name = 'JanusUnavailableError';
}

class SettlingHandle extends JanodeHandle {
  override handleMessage(msg: JanusMessage): unknown {
    const data = msg.plugindata?.data;
    if (!data) return null;
    const reply: PluginReply = { data, jsep: msg.jsep };
    const tx = msg.transaction;
    if (tx && this.ownsTransaction(tx)) {
      if (data.error !== undefined) {
        this.closeTransactionWithError(tx, new JanusRequestError(Number(data.error_code ?? 0), String(data.error)));
      } else {
        this.closeTransactionWithSuccess(tx, reply);
      }
    } else {
      this.emit('plugin_event', reply);
    }
    return reply;
  }
}

export interface HandleEvents {
  event: [PluginReply];
  webrtcup: [];
  hangup: [reason: string];
  media: [{ type: string; receiving: boolean }];
  /** Janus saw many NACKs on the leg (`uplink`: in what Janus receives), `lost` in the last interval. */
  slowlink: [SlowLink];
  detached: [];
}

export interface SlowLink { uplink?: boolean; media?: string; mid?: string; lost?: number }

export type PluginName = 'janus.plugin.nosip' | 'janus.plugin.streaming';

/** One attached plugin handle, as legs and mountpoints use it (JanusHandle is the real one). */
export interface PluginHandle extends EventEmitter<HandleEvents> {
  readonly id: number;
  /** The Janus session the handle belongs to (the Admin API names a handle by session and handle). */
  readonly sessionId: number;
  readonly plugin: string;
  request(body: Record<string, unknown>, jsep?: Jsep): Promise<PluginReply>;
  /** Hands Janus a remote ICE candidate; `null` says the remote has no more. */
  trickle(candidate: TrickleCandidate | null): Promise<void>;
  close(log: Logger): Promise<void>;
}

export interface TrickleCandidate { candidate: string; sdpMid?: string; sdpMLineIndex?: number }

/** The Janus API as streams and their outputs use it: attach a plugin handle (JanusClient is the real one). */
export interface JanusApi {
  attach(plugin: PluginName): Promise<PluginHandle>;
}

/** One attached plugin handle. `close()` detaches; afterwards it only reports `detached`. */
export class JanusHandle extends EventEmitter<HandleEvents> implements PluginHandle {
  private closed = false;

  constructor(private readonly inner: SettlingHandle, readonly plugin: string) {
    super();
    inner.on('plugin_event', (reply: PluginReply) => this.emit('event', reply));
    inner.on(Janode.EVENT.HANDLE_WEBRTCUP!, () => this.emit('webrtcup'));
    inner.on(Janode.EVENT.HANDLE_HANGUP!, (e: { reason?: string }) => this.emit('hangup', e?.reason ?? 'hangup'));
    inner.on(Janode.EVENT.HANDLE_MEDIA!, (e: { type: string; receiving: boolean }) => this.emit('media', e));
    inner.on(Janode.EVENT.HANDLE_SLOWLINK!, (e: SlowLink) => this.emit('slowlink', e ?? {}));
    inner.on(Janode.EVENT.HANDLE_DETACHED!, () => { this.closed = true; this.emit('detached'); });
  }

  get id(): number { return this.inner.id; }
  get sessionId(): number { return this.inner.session.id; }

  async request(body: Record<string, unknown>, jsep?: Jsep): Promise<PluginReply> {
    if (this.closed) throw new JanusUnavailableError(`${this.plugin} handle ${this.id} is detached`);
    const reply = await this.inner.message(body, jsep).catch((err: Error) => {
      if (err instanceof JanusRequestError) throw err;
      const m = /^(\d+) (.*)$/.exec(err.message);
      if (m) throw new JanusRequestError(Number(m[1]), m[2]!);
      throw new JanusUnavailableError(err.message);
    });
    return reply as PluginReply;
  }

  async trickle(candidate: TrickleCandidate | null): Promise<void> {
    if (this.closed) throw new JanusUnavailableError(`${this.plugin} handle ${this.id} is detached`);
    await (candidate ? this.inner.trickle(candidate) : this.inner.trickleComplete()).catch((err: Error) => {
      throw new JanusRequestError(0, `trickle: ${err.message}`);
    });
  }

  /** Detaching a handle of a dead Janus cannot fail in a way the caller could act on: we only log it. */
  async close(log: Logger): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.inner.detach().catch((err: Error) => log.debug('janus.detach_failed', { handle: this.id, err }));
  }
}

export interface ClientEvents { closed: [] }

export class JanusClient extends EventEmitter<ClientEvents> implements JanusApi {
  private constructor(private readonly connection: JanodeConnection, private readonly session: JanodeSession) {
    super();
    connection.once(Janode.EVENT.CONNECTION_CLOSED!, () => this.emit('closed'));
    connection.once(Janode.EVENT.CONNECTION_ERROR!, () => this.emit('closed'));
  }

  /**
   * One try: the supervisor retries every 50 ms until Janus listens (~25 ms after spawn). janode's own retry
   * waits whole seconds, which put a fixed 1 s into every Janus restart.
   */
  static async connect(url: string): Promise<JanusClient> {
    const connection = await Janode.connect({ address: { url }, retry_time_secs: 1, max_retries: 0 });
    connection.on('error', () => undefined); // surfaced through CONNECTION_ERROR → 'closed'
    const session = await connection.create(25);
    return new JanusClient(connection, session);
  }

  async attach(plugin: PluginName): Promise<JanusHandle> {
    try {
      const inner = await this.session.attach({ id: plugin, Handle: SettlingHandle });
      return new JanusHandle(inner, plugin);
    } catch (err) {
      throw new JanusUnavailableError(`attach ${plugin}: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await this.session.destroy().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }
}

/** Admin API connection: health checks, what Janus holds (for /metrics), and the statistics of a leg. */
export class JanusAdmin {
  private constructor(private readonly connection: JanodeConnection) {}

  static async connect(url: string, secret: string): Promise<JanusAdmin> {
    const connection = await Janode.connect({ address: { url, apisecret: secret }, is_admin: true, retry_time_secs: 1, max_retries: 0 });
    connection.on('error', () => undefined);
    return new JanusAdmin(connection);
  }

  async info(timeoutMs: number): Promise<Record<string, unknown>> {
    return this.within(timeoutMs, 'info', this.connection.getInfo());
  }

  /** `handle_info` of one handle: its WebRTC state and per-medium RTCP and NACK statistics (`info.webrtc.media`). */
  async handleInfo(sessionId: number, handleId: number, timeoutMs: number): Promise<Record<string, unknown>> {
    const reply = await this.within(timeoutMs, 'handle_info', this.connection.handleInfo(sessionId, handleId));
    return reply.info ?? {};
  }

  /** A hung Janus never answers: callers wait at most `timeoutMs`. */
  private async within<T>(timeoutMs: number, what: string, work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new JanusUnavailableError(`admin ${what} timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async sessionCount(): Promise<number> {
    return (await this.connection.listSessions()).sessions.length;
  }

  /** Plugin handles over all sessions: every WebRTC leg (NoSIP, viewer) and the relay's own control handles. */
  async handleCount(): Promise<number> {
    const { sessions } = await this.connection.listSessions();
    const lists = await Promise.all(sessions.map((id) => this.connection.listHandles(id).catch(() => ({ handles: [] }))));
    return lists.reduce((n, l) => n + l.handles.length, 0);
  }

  /** Mountpoints the Streaming plugin holds, asked through the Admin API (no session needed). */
  async mountpointCount(): Promise<number> {
    const reply = await this.connection.sendRequest({ janus: 'message_plugin', plugin: 'janus.plugin.streaming', request: { request: 'list' } }) as { response?: { list?: unknown[] } };
    return reply.response?.list?.length ?? 0;
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}
