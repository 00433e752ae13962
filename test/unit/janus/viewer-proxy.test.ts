import { describe, expect, it, vi } from 'vitest';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { ViewerProxy, refusal } from '../../../relay/janus/viewer-proxy.ts';
import { rootLog } from '../../../relay/log.ts';
import { recordedWebhooks } from '../fakes/recorded-webhooks.ts';

describe('viewer proxy filter', () => {
  it.each([
    [{ janus: 'create', transaction: 't' }],
    [{ janus: 'attach', plugin: 'janus.plugin.streaming' }],
    [{ janus: 'message', body: { request: 'watch', id: 'cam' } }],
    [{ janus: 'message', body: { request: 'start' }, jsep: {} }],
    [{ janus: 'keepalive' }],
  ])('lets a viewer do %j', (msg) => {
    expect(refusal(msg)).toBeUndefined();
  });

  it.each([
    [null, /JSON object/],
    [{ janus: 'attach', plugin: 'janus.plugin.nosip' }, /only janus.plugin.streaming/],
    [{ janus: 'message', body: { request: 'create', type: 'rtp' } }, /request create not allowed/],
    [{ janus: 'message', body: { request: 'destroy', id: 'cam' } }, /request destroy not allowed/],
    [{ janus: 'message', body: {} }, /not allowed/],
    [{ janus: 'list_sessions' }, /verb list_sessions not allowed/],
  ])('refuses %j', (msg, why) => {
    expect(refusal(msg)).toMatch(why);
  });
});

describe('viewer proxy: a viewer leg up', () => {
  it("tells the relay which mountpoint a handle's webrtcup is for (so it can ask for a keyframe then); that is play.started, its end play.stopped", async () => {
    // The faked boundary: Janus's API socket.
    const janus = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'janus-protocol' });
    await once(janus, 'listening');
    janus.on('connection', (ws) => ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { janus: string; handle_id?: number; transaction: string };
      ws.send(JSON.stringify({ janus: 'ack', transaction: m.transaction }));
      if (m.janus === 'message') ws.send(JSON.stringify({ janus: 'webrtcup', session_id: 1, sender: m.handle_id }));
      if (m.janus === 'keepalive') ws.send(JSON.stringify({ janus: 'webrtcup', session_id: 1, sender: 999 }));
      if (m.janus === 'hangup') ws.send(JSON.stringify({ janus: 'hangup', session_id: 1, sender: m.handle_id, reason: 'DTLS alert' }));
    }));
    const up: string[] = [];
    const webhooks = recordedWebhooks();
    const proxy = new ViewerProxy(() => `ws://127.0.0.1:${(janus.address() as AddressInfo).port}`, rootLog, webhooks, (id) => up.push(id));
    const server = createServer();
    server.on('upgrade', (req, socket, head) => proxy.upgrade(req, socket, head));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const viewer = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/janus`, 'janus-protocol');
    try {
      await once(viewer, 'open');
      const events: { janus: string }[] = [];
      viewer.on('message', (d) => events.push(JSON.parse(String(d)) as { janus: string }));
      viewer.send(JSON.stringify({ janus: 'keepalive', session_id: 1, transaction: 'k' }));
      viewer.send(JSON.stringify({ janus: 'message', session_id: 1, handle_id: 7, transaction: 'w', body: { request: 'watch', id: 'cam' } }));
      await vi.waitFor(() => expect(events.filter((e) => e.janus === 'webrtcup')).toHaveLength(2));
      // The viewer still sees every event; only handle 7, which asked to watch "cam", counts.
      expect(up).toEqual(['cam']);
      expect(webhooks.emitted).toEqual([{ type: 'play.started', stream: 'cam', data: { protocol: 'viewer', sessionId: expect.stringMatching(/^viewer-/) } }]);
      viewer.send(JSON.stringify({ janus: 'message', session_id: 1, handle_id: 8, transaction: 'w8', body: { request: 'watch', id: 'lobby' } }));
      viewer.send(JSON.stringify({ janus: 'hangup', session_id: 1, handle_id: 7, transaction: 'h' }));
      await vi.waitFor(() => expect(webhooks.of('play.stopped')).toHaveLength(1));
      expect(webhooks.of('play.stopped')[0]!.data).toEqual({ protocol: 'viewer', sessionId: webhooks.of('play.started')[0]!.data.sessionId, bytes: null, durationMs: expect.any(Number), reason: 'hangup: DTLS alert' });
      viewer.close();
      await vi.waitFor(() => expect(webhooks.of('play.stopped')).toHaveLength(2));
      expect(webhooks.of('play.stopped')[1]).toMatchObject({ stream: 'lobby', data: { reason: 'viewer left' } });
    } finally {
      viewer.close();
      proxy.close();
      server.close();
      janus.close();
    }
  });
});

describe('viewer proxy: access', () => {
  it("decides each watch with the viewer's token before Janus sees it; a refusal is a Janus error; later messages keep their order", async () => {
    const janus = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'janus-protocol' });
    await once(janus, 'listening');
    const reached: string[] = [];
    janus.on('connection', (ws) => ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { janus: string; transaction: string; body?: { id?: string } };
      reached.push(`${m.janus}${m.body?.id ? ` ${m.body.id}` : ''}`);
      ws.send(JSON.stringify({ janus: 'ack', transaction: m.transaction }));
    }));
    const asked: [string, string | undefined][] = [];
    let endAccess: ((why: 'expired' | 'revoked') => void) | undefined;
    let released = 0;
    const renewed: (number | undefined)[] = [];
    const proxy = new ViewerProxy(() => `ws://127.0.0.1:${(janus.address() as AddressInfo).port}`, rootLog, recordedWebhooks(), () => undefined, async (stream, token, _client, end) => {
      asked.push([stream, token]);
      await new Promise((r) => setTimeout(r, 50)); // a hook's round trip: what follows must wait for it
      if (stream !== 'cam') return { allow: false, status: 403, reason: `the token does not allow play of "${stream}"` };
      endAccess = end;
      return { allow: true, lease: { stream, renew: (g) => { renewed.push(g?.expiresAt); }, release: () => { released++; } } };
    }, async (t) => (t === 'fresh' ? { permissions: [{ action: 'play', stream: 'cam' }], expiresAt: 42 } : undefined));
    const server = createServer();
    server.on('upgrade', (req, socket, head) => proxy.upgrade(req, socket, head));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const viewer = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/janus?token=t0k`, 'janus-protocol');
    try {
      await once(viewer, 'open');
      const events: { janus: string; transaction?: string; error?: { code: number; reason: string } }[] = [];
      viewer.on('message', (d) => events.push(JSON.parse(String(d)) as (typeof events)[number]));
      viewer.send(JSON.stringify({ janus: 'message', session_id: 1, handle_id: 7, transaction: 'w1', body: { request: 'watch', id: 'other' } }));
      viewer.send(JSON.stringify({ janus: 'message', session_id: 1, handle_id: 7, transaction: 'w2', body: { request: 'watch', id: 'cam' } }));
      viewer.send(JSON.stringify({ janus: 'keepalive', session_id: 1, transaction: 'k' }));
      await vi.waitFor(() => expect(reached).toEqual(['message cam', 'keepalive']));
      expect(asked).toEqual([['other', 't0k'], ['cam', 't0k']]);
      expect(events.find((e) => e.transaction === 'w1')).toEqual({ janus: 'error', transaction: 'w1', error: { code: 403, reason: 'Forbidden: the token does not allow play of "other"' } });
      // A fresh token on the page's own message renews the watch; a bad one is refused; neither reaches Janus.
      viewer.send(JSON.stringify({ janus: 'siphon_refresh', token: 'fresh', transaction: 'r1' }));
      viewer.send(JSON.stringify({ janus: 'siphon_refresh', token: 'stale', transaction: 'r2' }));
      await vi.waitFor(() => expect(events.filter((e) => e.transaction?.startsWith('r'))).toHaveLength(2));
      expect(events.find((e) => e.transaction === 'r1')).toEqual({ janus: 'ack', transaction: 'r1' });
      expect(events.find((e) => e.transaction === 'r2')).toMatchObject({ janus: 'error', error: { code: 401 } });
      expect(renewed).toEqual([42]);
      expect(reached).toEqual(['message cam', 'keepalive']);
      // The access ends (a revoke): the viewer's socket closes with the reason, and its hold is given back.
      const closed = once(viewer, 'close');
      endAccess!('revoked');
      const [code, reason] = await closed as [number, Buffer];
      expect([code, String(reason)]).toEqual([1008, 'Access revoked']);
      await vi.waitFor(() => expect(released).toBe(1));
    } finally {
      viewer.close();
      proxy.close();
      server.close();
      janus.close();
    }
  });
});

describe('viewer proxy: Janus down', () => {
  it('refuses the viewer\'s upgrade with 503 (a browser sees an error and retries) instead of accepting and closing', async () => {
    const closed = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(closed, 'listening');
    const deadPort = (closed.address() as AddressInfo).port;
    closed.close(); // nothing listens there now: Janus is restarting
    const proxy = new ViewerProxy(() => `ws://127.0.0.1:${deadPort}`, rootLog, recordedWebhooks());
    const server = createServer();
    server.on('upgrade', (req, socket, head) => proxy.upgrade(req, socket, head));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const viewer = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/janus`, 'janus-protocol');
      const [, res] = await once(viewer, 'unexpected-response') as [unknown, { statusCode: number }];
      expect(res.statusCode).toBe(503);
      expect(proxy.connections).toBe(0);
    } finally {
      proxy.close();
      server.close();
    }
  });
});
