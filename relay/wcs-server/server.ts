/** Accepts WCS Websocket API connections on any path except the Janus viewer proxy's. */
import { WebSocketServer } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RelayContext } from '../context.ts';
import { WcsSession, type WcsHooks } from './connection.ts';
import { nodeIdOf } from '../wcs/hook-bodies.ts';

export class WcsServer {
  readonly sessions = new Set<WcsSession>();
  private readonly wss: WebSocketServer;

  constructor(private readonly ctx: RelayContext, private readonly hooks: WcsHooks = {}) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: ctx.config.maxFrameBytes });
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const url = new URL(req.url ?? '/', `ws://${req.headers.host ?? 'localhost'}`);
      const client = {
        remote: `${req.socket.remoteAddress}:${req.socket.remotePort}`, address: String(req.socket.remoteAddress), urlToken: url.searchParams.get('token') ?? undefined,
        urlServer: `ws://${url.host}${url.pathname}`, nodeId: nodeIdOf(req.socket.localAddress ?? this.ctx.config.bindAddress),
      };
      const session = new WcsSession(ws, this.ctx, client, (s) => this.sessions.delete(s), this.hooks);
      this.sessions.add(session);
    });
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
