/**
 * Viewer pages talk to Janus through the relay (`/janus`, subprotocol janus-protocol), so Janus's API
 * never leaves 127.0.0.1. Only what a viewer needs passes: sessions, the Streaming plugin, and its
 * watch/start/pause/stop/list/info/switch/configure requests. Mountpoint create/destroy also need the
 * Streaming admin key, which viewers never have. The proxy also tells the relay when a viewer's
 * WebRTC leg is up (`webrtcup` on a handle that asked to watch a mountpoint): that is when a keyframe
 * helps it, and Janus's own keyframe request at that moment is held back by its 1 s throttle.
 */
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.ts';

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

  constructor(private readonly janusUrl: () => string, private readonly log: Logger,
    private readonly viewerUp: (mountpointId: string) => void = () => undefined) {}

  get connections(): number { return this.open.size; }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (client) => this.bridge(client));
  }

  private bridge(client: WebSocket): void {
    this.open.add(client);
    const upstream = new WebSocket(this.janusUrl(), PROTOCOL);
    const pending: string[] = [];
    /** Which mountpoint each of this client's handles asked to watch. */
    const watching = new Map<number, string>();
    const closeBoth = () => {
      this.open.delete(client);
      if (client.readyState <= WebSocket.OPEN) client.close(1001, 'media server connection closed');
      if (upstream.readyState <= WebSocket.OPEN) upstream.terminate();
    };
    upstream.on('open', () => { for (const m of pending.splice(0)) upstream.send(m); });
    upstream.on('message', (data: RawData) => {
      const text = data.toString();
      if (watching.size > 0 && text.includes('"webrtcup"')) this.noticeWebrtcUp(text, watching);
      if (client.readyState === WebSocket.OPEN) client.send(text);
    });
    upstream.on('close', closeBoth);
    upstream.on('error', (err) => { this.log.warn('viewer_proxy.upstream_error', { err }); closeBoth(); });
    client.on('close', closeBoth);
    client.on('error', (err) => { this.log.debug('viewer_proxy.client_error', { err }); closeBoth(); });
    client.on('message', (data: RawData) => {
      const text = data.toString();
      let msg: unknown;
      try { msg = JSON.parse(text); } catch { msg = undefined; }
      const why = refusal(msg);
      if (why) {
        const transaction = (msg as { transaction?: unknown } | undefined)?.transaction;
        client.send(JSON.stringify({ janus: 'error', transaction, error: { code: 403, reason: why } }));
        return;
      }
      const m = msg as { handle_id?: unknown; body?: { request?: unknown; id?: unknown } };
      if ((m.body?.request === 'watch' || m.body?.request === 'switch') && typeof m.handle_id === 'number' && m.body.id !== undefined) {
        watching.set(m.handle_id, String(m.body.id));
      }
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text); else pending.push(text);
    });
  }

  private noticeWebrtcUp(text: string, watching: Map<number, string>): void {
    let event: { janus?: unknown; sender?: unknown };
    try { event = JSON.parse(text) as typeof event; } catch { return; }
    if (event.janus !== 'webrtcup' || typeof event.sender !== 'number') return;
    const mountpoint = watching.get(event.sender);
    if (mountpoint !== undefined) this.viewerUp(mountpoint);
  }

  close(): void {
    for (const c of this.open) c.terminate();
    this.wss.close();
  }
}
