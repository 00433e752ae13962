/**
 * allow_domains on the Websocket upgrade, over a real HTTP server on loopback and the `ws` client: a page whose
 * Origin the list refuses gets HTTP 403 with why and never becomes a session; a client without an Origin (a relay
 * pulling, a script) is not a page and is let in.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import WebSocket from 'ws';
import { StreamRegistry } from '../../../relay/streams/registry.ts';
import { WcsServer } from '../../../relay/wcs-server/server.ts';
import { FakeJanus } from '../fakes/fake-janus.ts';
import { recordedWebhooks } from '../fakes/recorded-webhooks.ts';
import { fakeWcsContext } from '../fakes/fake-wcs-socket.ts';

let server: Server | undefined;
let wcs: WcsServer | undefined;
afterEach(async () => { wcs?.close(); server?.closeAllConnections(); server?.close(); });

async function serve(allowDomains: string) {
  const { ctx, lines } = fakeWcsContext(new FakeJanus(), new StreamRegistry(), recordedWebhooks(), { SIPHON_ALLOW_DOMAINS: allowDomains });
  wcs = new WcsServer(ctx);
  server = createServer((_req, res) => res.end());
  server.on('upgrade', (req, socket, head) => wcs!.upgrade(req, socket, head));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, lines };
}

/** Opens a socket and says what happened: `open`, or the HTTP status and body of the refusal. */
function connect(url: string, origin?: string): Promise<{ open: true } | { status: number; body: string }> {
  const ws = new WebSocket(url, origin ? { origin } : {});
  return new Promise((resolve) => {
    ws.once('open', () => { ws.close(); resolve({ open: true }); });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d; }).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
}

describe('allow_domains', () => {
  it('*.mydomain.com,!*.evil.com: a listed page connects, an excluded or unlisted one gets 403 with why', async () => {
    const { url, lines } = await serve('!*.evil.mydomain.com,*.mydomain.com');
    expect(await connect(url, 'https://player.mydomain.com')).toEqual({ open: true });
    const evil = await connect(url, 'https://x.evil.mydomain.com');
    expect(evil).toMatchObject({ status: 403 });
    expect(JSON.parse((evil as { body: string }).body)).toEqual({ error: 'forbidden',
      message: 'Websocket connections from https://x.evil.mydomain.com are not allowed here (allow_domains): refused by "!*.evil.mydomain.com"' });
    expect(await connect(url, 'https://elsewhere.org')).toMatchObject({ status: 403 });
    // A sandboxed iframe or a file:// page sends `Origin: null`: not a host any entry allows.
    const opaque = await connect(url, 'null');
    expect(opaque).toMatchObject({ status: 403 });
    expect(JSON.parse((opaque as { body: string }).body).message).toMatch(/the Origin header is not a URL$/);
    expect(lines.filter((l) => l.event === 'wcs.connected')).toHaveLength(1); // the listed page only
    expect(lines.filter((l) => l.event === 'wcs.origin_refused')).toHaveLength(3);
  });

  it('a client that sends no Origin is not a page: let in; an empty list lets every page in', async () => {
    const { url } = await serve('*.mydomain.com');
    expect(await connect(url)).toEqual({ open: true });
    wcs!.close(); server!.close();
    const open = await serve('');
    expect(await connect(open.url, 'https://anything.example')).toEqual({ open: true });
  });
});
