/**
 * Viewer pages talk to Janus through the relay (`/janus`, subprotocol janus-protocol), so Janus's API
 * never leaves 127.0.0.1. Only what a viewer needs passes: sessions, the Streaming plugin, and its
 * watch/start/pause/stop/list/info/switch/configure requests. Mountpoint create/destroy also need the
 * Streaming admin key, which viewers never have. The proxy also tells the relay when a viewer's
 * WebRTC leg is up (`webrtcup` on a handle that asked to watch a mountpoint): that is when a keyframe
 * helps it, and Janus's own keyframe request at that moment is held back by its 1 s throttle. The same events
 * are the viewer's `play.started` and `play.stopped` webhooks (viewer-plays.ts).
 */
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.ts';
import type { AccessLease, LeaseEnd } from '../access/access-lease.ts';
import type { Grant } from '../access/token-verifier.ts';
import { covers } from '../access/permission.ts';
import type { Webhooks } from '../webhooks/webhooks.ts';
import { ViewerPlays } from './viewer-plays.ts';

/**
 * Whether a viewer may watch a stream (relay/access). An admitted watch holds its access (`lease`) until the viewer
 * goes; `end` is called when the access ends first (expiry, a revoke), and closes the viewer's socket.
 */
export type AdmitViewer = (stream: string, token: string | undefined, client: string, end: (why: LeaseEnd) => void)
  => Promise<{ allow: true; lease: Pick<AccessLease, 'stream' | 'renew' | 'release'> } | { allow: false; status: number; reason: string; full?: true }>;

/** The grant a fresh credential carries, or undefined when it does not verify (relay/access). */
export type RefreshViewer = (token: string) => Promise<Grant | undefined>;

/**
 * Not Janus's: the viewer page's own message on its socket, a fresh token for the watches it holds. Answered here
 * (an `ack`, or an `error` 401) and never forwarded.
 */
const REFRESH = 'siphon_refresh';

const PROTOCOL = 'janus-protocol';
const VERBS = new Set(['create', 'attach', 'message', 'trickle', 'keepalive', 'detach', 'destroy', 'hangup', 'info']);
const REQUESTS = new Set(['watch', 'start', 'pause', 'stop', 'list', 'info', 'switch', 'configure']);
const MAX_MESSAGE_BYTES = 64 * 1024;

export function refusal(msg: unknown): string | undefined {
  if (typeof msg !== 'object' || msg === null) return 'not a JSON object';
  const m = msg as { janus?: unknown; plugin?: unknown; body?: { request?: unknown } };
  if (typeof m.janus !== 'string' || !VERBS.has(m.janus)) return `verb ${String(m.janus)} not allowed`;
  if (m.janus === 'attach' && m.plugin !== 'janus.plugin.streaming') return 'only janus.plugin.streaming may be attached';
  if (m.janus === 'message' && (typeof m.body?.request !== 'string' || !REQUESTS.has(m.body.request))) {
    return `request ${String(m.body?.request)} not allowed`;
  }
  return undefined;
}

export class ViewerProxy {
  private readonly wss = new WebSocketServer({
    noServer: true, maxPayload: MAX_MESSAGE_BYTES,
    handleProtocols: (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false),
  });
  private readonly open = new Set<WebSocket>();
  /** Each connection's watches, by handle. */
  private readonly holds = new Set<Map<number, { stream: string }>>();

  constructor(private readonly janusUrl: () => string, private readonly log: Logger, private readonly webhooks: Webhooks,
    private readonly viewerUp: (mountpointId: string) => void = () => undefined,
    private readonly admit: AdmitViewer = async (stream) => ({ allow: true, lease: { stream, renew: () => undefined, release: () => undefined } }),
    private readonly refresh: RefreshViewer = async () => undefined) {}

  get connections(): number { return this.open.size; }

  /** Mountpoints watched now, over every connection (what a viewer costs Janus: a leg each). */
  get watching(): number {
    let n = 0;
    for (const held of this.holds) n += held.size;
    return n;
  }

  /** Viewer-page watches of `stream` now. */
  watchersOf(stream: string): number {
    let n = 0;
    for (const held of this.holds) for (const lease of held.values()) if (lease.stream === stream) n += 1;
    return n;
  }

  /**
   * Janus first, then the viewer: while Janus is down (restarting) the upgrade is refused with 503, which a
   * browser reports as a WebSocket error (janus.js calls its error callback and the page retries). Accepting
   * first and closing after would leave janus.js waiting forever: it ignores a close before its session exists.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const upstream = new WebSocket(this.janusUrl(), PROTOCOL);
    const refuse = (err: Error) => {
      this.log.warn('viewer_proxy.upstream_error', { err });
      if (socket.writable) socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
    };
    let bridged = false;
    upstream.once('error', refuse);
    // A viewer gone before the bridge, or an upgrade ws refused (bad handshake): its Janus socket goes too.
    socket.once('close', () => { if (!bridged) upstream.terminate(); });
    upstream.once('open', () => {
      upstream.off('error', refuse);
      upstream.on('error', () => undefined); // from now on reported through the bridge, or moot
      if (socket.destroyed) { upstream.terminate(); return; }
      const token = new URL(req.url ?? '/', 'ws://relay').searchParams.get('token') ?? undefined;
      this.wss.handleUpgrade(req, socket, head, (client) => { bridged = true; this.bridge(client, upstream, token, String(req.socket.remoteAddress)); });
    });
  }

  /** `token`: the viewer's credential (`/janus?token=`), checked at each watch before Janus sees it. */
  private bridge(client: WebSocket, upstream: WebSocket, token: string | undefined, address: string): void {
    this.open.add(client);
    /** Which mountpoint each of this client's handles asked to watch. */
    const watching = new Map<number, string>();
    const plays = new ViewerPlays(this.webhooks);
    let endReason = 'viewer left';
    // A watch waits for its decision; what the viewer sent after it must not overtake it.
    let inOrder = Promise.resolve();
    /** Each watching handle's hold on its access. */
    const held = new Map<number, Pick<AccessLease, 'stream' | 'renew' | 'release'>>();
    this.holds.add(held);
    const closeBoth = () => {
      for (const lease of held.values()) lease.release();
      held.clear();
      this.holds.delete(held);
      plays.stopAll(endReason);
      this.open.delete(client);
      if (client.readyState <= WebSocket.OPEN) client.close(1001, 'media server connection closed');
      if (upstream.readyState <= WebSocket.OPEN) upstream.terminate();
    };
    upstream.on('message', (data: RawData) => {
      const text = data.toString();
      if (watching.size > 0 && (text.includes('"webrtcup"') || text.includes('"hangup"'))) this.noticeLeg(text, watching, plays);
      if (client.readyState === WebSocket.OPEN) client.send(text);
    });
    upstream.on('close', () => { endReason = 'media server connection closed'; closeBoth(); });
    upstream.on('error', (err) => { this.log.warn('viewer_proxy.upstream_error', { err }); endReason = 'media server connection failed'; closeBoth(); });
    client.on('close', closeBoth);
    client.on('error', (err) => { this.log.debug('viewer_proxy.client_error', { err }); closeBoth(); });
    const refuse = (msg: unknown, code: number, reason: string) => {
      const transaction = (msg as { transaction?: unknown } | undefined)?.transaction;
      if (client.readyState === WebSocket.OPEN) client.send(JSON.stringify({ janus: 'error', transaction, error: { code, reason } }));
    };
    const forward = async (text: string) => {
      let msg: unknown;
      try { msg = JSON.parse(text); } catch { msg = undefined; }
      if ((msg as { janus?: unknown } | undefined)?.janus === REFRESH) return this.renew(msg as { token?: unknown; transaction?: unknown }, held, client);
      const why = refusal(msg);
      if (why) return refuse(msg, 403, why);
      const m = msg as { handle_id?: unknown; body?: { request?: unknown; id?: unknown } };
      if ((m.body?.request === 'watch' || m.body?.request === 'switch') && typeof m.handle_id === 'number' && m.body.id !== undefined) {
        const decision = await this.admit(String(m.body.id), token, address, (why) => {
          endReason = `access ${why}`;
          client.close(1008, why === 'revoked' ? 'Access revoked' : 'Access expired');
        });
        // A full relay is no refusal of this viewer: the page tries again (it stops at a `Forbidden`).
        if (!decision.allow) return refuse(msg, decision.status, decision.full ? decision.reason : `Forbidden: ${decision.reason}`);
        if (!this.open.has(client)) return decision.lease.release(); // gone while it was decided
        held.get(m.handle_id)?.release();
        held.set(m.handle_id, decision.lease);
        watching.set(m.handle_id, String(m.body.id));
        if (m.body.request === 'switch') plays.switched(m.handle_id, String(m.body.id));
      }
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
    };
    client.on('message', (data: RawData) => {
      const text = data.toString();
      inOrder = inOrder.then(() => forward(text)).catch((err: unknown) => this.log.error('viewer_proxy.forward_failed', { err }));
    });
  }

  /** A fresh token: every watch it covers now lasts until it expires. */
  private async renew(msg: { token?: unknown; transaction?: unknown }, held: Map<number, Pick<AccessLease, 'stream' | 'renew'>>, client: WebSocket): Promise<void> {
    const grant = typeof msg.token === 'string' ? await this.refresh(msg.token) : undefined;
    const answer = grant ? { janus: 'ack', transaction: msg.transaction }
      : { janus: 'error', transaction: msg.transaction, error: { code: 401, reason: 'the token does not verify, has expired or was revoked' } };
    if (grant) for (const lease of held.values()) if (covers(grant.permissions, 'play', lease.stream)) lease.renew(grant);
    if (client.readyState === WebSocket.OPEN) client.send(JSON.stringify(answer));
  }

  /** A watching handle's leg up (webrtcup) or down (hangup), from Janus's events to the viewer. */
  private noticeLeg(text: string, watching: Map<number, string>, plays: ViewerPlays): void {
    let event: { janus?: unknown; sender?: unknown; reason?: unknown };
    try { event = JSON.parse(text) as typeof event; } catch { return; }
    if (typeof event.sender !== 'number') return;
    const mountpoint = watching.get(event.sender);
    if (mountpoint === undefined) return;
    if (event.janus === 'webrtcup') {
      this.viewerUp(mountpoint);
      plays.started(event.sender, mountpoint);
    } else if (event.janus === 'hangup') {
      plays.stopped(event.sender, `hangup: ${String(event.reason ?? 'no reason given')}`);
    }
  }

  close(): void {
    for (const c of this.open) c.terminate();
    this.wss.close();
  }
}
