/**
 * A WCS Websocket API proxy in the test process: frames pass both ways, and the server's frames can be
 * rewritten on the way, to make one of our relays speak like another WCS (say, UNPUBLISHED with no
 * info where Siphon sends STOPPED). Media does not pass here: only signalling.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

export interface WcsFrame { message: string; data: Record<string, unknown>[] }

export class WcsProxy {
  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(host: string, target: string, rewrite: (f: WcsFrame) => WcsFrame): Promise<WcsProxy> {
    const server = createServer();
    const wss = new WebSocketServer({ server });
    wss.on('connection', (client) => {
      const upstream = new WebSocket(target);
      const pending: string[] = [];
      upstream.on('open', () => { for (const text of pending.splice(0)) upstream.send(text); });
      client.on('message', (raw) => (upstream.readyState === WebSocket.OPEN ? upstream.send(raw.toString()) : pending.push(raw.toString())));
      upstream.on('message', (raw) => client.send(JSON.stringify(rewrite(JSON.parse(raw.toString()) as WcsFrame))));
      const end = () => { client.terminate(); upstream.terminate(); };
      for (const ws of [client, upstream]) { ws.on('close', end); ws.on('error', end); }
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return new WcsProxy(server, `ws://${host}:${(server.address() as AddressInfo).port}`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
