/**
 * A remote WCS server for the pull agent, on loopback: a real Websocket server speaking the WCS API
 * as the SDK sees it (connection → getUserData, playStream → setRemoteSDP and PLAYING, or FAILED
 * `Stream not found` for streams it does not have; publishStream → setRemoteSDP and PUBLISHING, or FAILED
 * with `refusePublish`). The test publishes and unpublishes its streams and sends any status; every frame it
 * receives is kept.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventEmitter } from 'node:events';
import { WebSocketServer, type WebSocket } from 'ws';
import { opus, plainSdp, vp8 } from '../../../relay/sdp/description.ts';

export interface OriginFrame { message: string; data: Record<string, unknown>[] }

const ANSWER = plainSdp([{ kind: 'audio', port: 9, codecs: [opus(111)] }, { kind: 'video', port: 9, codecs: [vp8(96)] }], 'sendonly');
const PUBLISH_ANSWER = ANSWER.replaceAll('a=sendonly', 'a=recvonly');

export class FakeWcsOrigin extends EventEmitter<{ frame: [OriginFrame]; played: [string] }> {
  readonly published = new Set<string>();
  /** Streams clients publish here (a relay's /pull/push): mediaSessionId → name. */
  readonly pushedIn = new Map<string, string>();
  /** When set, a publishStream is answered FAILED with this info. */
  refusePublish: string | undefined;
  readonly received: OriginFrame[] = [];
  private readonly sockets = new Set<WebSocket>();
  /** mediaSessionId → the socket and stream name it plays. */
  private readonly players = new Map<string, { ws: WebSocket; name: string }>();

  private constructor(private readonly server: Server, readonly url: string) { super(); }

  /** On `port` (an origin coming back where it was), or any free port. */
  static async start(port = 0): Promise<FakeWcsOrigin> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const origin = new FakeWcsOrigin(server, `ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    new WebSocketServer({ server }).on('connection', (ws) => origin.accept(ws));
    return origin;
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (raw) => {
      const f = JSON.parse(raw.toString()) as OriginFrame;
      this.received.push(f);
      this.emit('frame', f);
      if (f.message === 'connection') this.send(ws, 'getUserData', { status: 'ESTABLISHED' });
      if (f.message === 'playStream') this.play(ws, f.data[0]!);
      if (f.message === 'publishStream') this.takePublish(ws, f.data[0]!);
      if (f.message === 'stopStream') this.pushedIn.delete(String(f.data[0]?.mediaSessionId));
    });
  }

  private play(ws: WebSocket, o: Record<string, unknown>): void {
    const id = String(o.mediaSessionId);
    const name = String(o.name);
    if (!this.published.has(name)) return this.send(ws, 'notifyStreamStatusEvent', { ...o, status: 'FAILED', info: 'Stream not found' });
    this.players.set(id, { ws, name });
    this.send(ws, 'setRemoteSDP', id, ANSWER, true);
    this.send(ws, 'notifyStreamStatusEvent', { ...o, sdp: undefined, status: 'PLAYING', info: '' });
    this.emit('played', id);
  }

  private takePublish(ws: WebSocket, o: Record<string, unknown>): void {
    const id = String(o.mediaSessionId);
    if (this.refusePublish) return this.send(ws, 'notifyStreamStatusEvent', { ...o, sdp: undefined, status: 'FAILED', info: this.refusePublish });
    this.pushedIn.set(id, String(o.name));
    this.send(ws, 'setRemoteSDP', id, PUBLISH_ANSWER, true);
    this.send(ws, 'notifyStreamStatusEvent', { ...o, sdp: undefined, status: 'PUBLISHING', info: '' });
  }

  private send(ws: WebSocket, message: string, ...data: unknown[]): void {
    ws.send(JSON.stringify({ message, data }));
  }

  /** The mediaSessionIds now playing `name`. */
  playersOf(name: string): string[] { return [...this.players].filter(([, p]) => p.name === name).map(([id]) => id); }

  /** Sends a status for one of its players, as a WCS does when the publisher goes. */
  status(mediaSessionId: string, status: string, info: string): void {
    const p = this.players.get(mediaSessionId);
    if (p) this.send(p.ws, 'notifyStreamStatusEvent', { mediaSessionId, name: p.name, status, info });
  }

  /** The publisher stops: every player of `name` hears `status` (with `info`). */
  unpublish(name: string, status = 'UNPUBLISHED', info = ''): void {
    this.published.delete(name);
    for (const id of this.playersOf(name)) {
      this.status(id, status, info);
      this.players.delete(id);
    }
  }

  /** Resolves when a client has answered a ping sent now: it has handled every frame sent before. */
  roundTrip(): Promise<void> {
    const pong = new Promise<void>((resolve) => {
      const on = (f: OriginFrame) => { if (f.message === 'pong') { this.off('frame', on); resolve(); } };
      this.on('frame', on);
    });
    for (const ws of this.sockets) this.send(ws, 'ping');
    return pong;
  }

  dropConnections(): void { for (const ws of this.sockets) ws.terminate(); }

  async close(): Promise<void> {
    this.dropConnections();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
