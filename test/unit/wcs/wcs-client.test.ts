/** The pull agent's WCS client against a server that corks the 101 response and its first ping into one TCP write. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { WebSocketServer } from 'ws';
import { WcsClient } from '../../../relay/wcs/wcs-client.ts';

const OPTIONS = { rejectUnauthorized: true, connectTimeoutMs: 2000, silenceTimeoutMs: 15_000, maxFrameBytes: 1 << 20 };

describe('WcsClient: every frame from the first byte after the handshake', () => {
  let server: Server;
  let url: string;
  let connections = 0;
  const pongs = new EventEmitter<{ pong: [connection: number] }>();

  beforeAll(async () => {
    const wss = new WebSocketServer({ noServer: true });
    server = createServer();
    server.on('upgrade', (req, socket, head) => {
      // Like a WCS server: the first ping goes out with the handshake, in the same write.
      socket.cork();
      wss.handleUpgrade(req, socket, head, (ws) => {
        const id = ++connections;
        ws.send(JSON.stringify({ message: 'ping', data: [] }));
        process.nextTick(() => socket.uncork());
        ws.on('message', (raw) => {
          const f = JSON.parse(raw.toString()) as { message: string };
          if (f.message === 'connection') ws.send(JSON.stringify({ message: 'getUserData', data: [{ status: 'ESTABLISHED' }] }));
          if (f.message === 'pong') pongs.emit('pong', id);
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('the ping sent together with the 101 response gets its pong on each of 50 connections', async () => {
    let answered = 0;
    for (let i = 1; i <= 50; i += 1) {
      const ponged = new Promise<boolean>((resolve) => {
        const onPong = (id: number) => { if (id === i) { pongs.off('pong', onPong); resolve(true); } };
        pongs.on('pong', onPong);
      });
      const client = await WcsClient.connect(url, OPTIONS);
      // Bounded wait for the server's event; a lost ping never produces one.
      if (await Promise.race([ponged, delay(2000).then(() => false)])) answered += 1;
      client.close();
    }
    expect(answered).toBe(50);
  });

  it('a refused connection rejects with the address and the reason', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(WcsClient.connect(`ws://127.0.0.1:${port}`, OPTIONS)).rejects.toThrow(new RegExp(`cannot connect to ws://127.0.0.1:${port}: .*ECONNREFUSED`));
  });
});
