/**
 * Accepts WCS Websocket API connections on any path except the Janus viewer proxy's, from the pages allow_domains
 * lets in (an upgrade from another page's Origin gets HTTP 403 and never becomes a session).
 */
import { WebSocketServer } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RelayContext } from '../context.ts';
import { WcsSession, type WcsHooks } from './connection.ts';
import { nodeIdOf } from '../wcs/hook-bodies.ts';
import { NameMasks } from '../access/name-masks.ts';

export class WcsServer {
  readonly sessions = new Set<WcsSession>();
  private readonly wss: WebSocketServer;
  private readonly domains: NameMasks;

  constructor(private readonly ctx: RelayContext, private readonly hooks: WcsHooks = {}) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: ctx.config.maxFrameBytes });
    this.domains = new NameMasks(ctx.config.allowDomains, true);
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const origin = req.headers.origin;
    const refused = origin ? this.originRefusal(origin) : undefined;
    if (refused) {
      this.ctx.log.warn('wcs.origin_refused', { origin, remote: req.socket.remoteAddress, reason: refused });
      const body = JSON.stringify({ error: 'forbidden', message: `Websocket connections from ${origin} are not allowed here (allow_domains): ${refused}` });
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const url = new URL(req.url ?? '/', `ws://${req.headers.host ?? 'localhost'}`);
      const client = {
        remote: `${req.socket.remoteAddress}:${req.socket.remotePort}`, address: String(req.socket.remoteAddress), urlToken: url.searchParams.get('token') ?? undefined,
        urlServer: `ws://${url.host}${url.pathname}`, origin, nodeId: nodeIdOf(req.socket.localAddress ?? this.ctx.config.bindAddress),
      };
      const session = new WcsSession(ws, this.ctx, client, (s) => this.sessions.delete(s), this.hooks);
      this.sessions.add(session);
    });
  }

  /** A browser's Origin against allow_domains, by its host name; an Origin that is not a URL is refused. */
  private originRefusal(origin: string): string | undefined {
    if (!this.domains.restricts) return undefined;
    const host = URL.parse(origin)?.hostname;
    return host ? this.domains.refusal(host) : 'the Origin header is not a URL';
  }

  find(sessionId: string): WcsSession | undefined {
    for (const s of this.sessions) if (s.id === sessionId) return s;
    return undefined;
  }

  /** Finds the session holding a media session (for REST terminate). */
  terminate(mediaSessionId: string, info: string): boolean {
    for (const s of this.sessions) if (s.terminate(mediaSessionId, info)) return true;
    return false;
  }

  close(): void {
    for (const s of this.sessions) s.close(1001, 'relay shutting down');
    this.wss.close();
  }
}
