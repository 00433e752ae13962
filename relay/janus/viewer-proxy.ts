/**
 * Viewer pages talk to Janus through the relay (`/janus`, subprotocol janus-protocol), so Janus's API
 * never leaves 127.0.0.1. Only what a viewer needs passes: sessions, the Streaming plugin, and its
 * watch/start/pause/stop/list/info/switch/configure requests. Mountpoint create/destroy also need the
 * Streaming admin key, which viewers never have.
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

  constructor(private readonly janusUrl: () => string, private readonly log: Logger) {}

  get connections(): number { return this.open.size; }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (client) => this.bridge(client));
  }

  private bridge(client: WebSocket): void {
    this.open.add(client);
    const upstream = new WebSocket(this.janusUrl(), PROTOCOL);
    const pending: string[] = [];
    const closeBoth = () => {
      this.open.delete(client);
      if (client.readyState <= WebSocket.OPEN) client.close(1001, 'media server connection closed');
      if (upstream.readyState <= WebSocket.OPEN) upstream.terminate();
    };
    upstream.on('open', () => { for (const m of pending.splice(0)) upstream.send(m); });
    upstream.on('message', (data: RawData) => { if (client.readyState === WebSocket.OPEN) client.send(data.toString()); });
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
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text); else pending.push(text);
    });
  }

  close(): void {
    for (const c of this.open) c.terminate();
    this.wss.close();
  }
}
