/**
 * R5: over a thousand hostile WCS frames (bad JSON, wrong types and order, huge frames, slow senders)
 * against the relay's Websocket server while a browser publish/play runs on it, and against the pull
 * agent from a hostile "remote WCS" while a good pull runs beside it. The relay survives, the others
 * play on, and its memory stays bounded.
 */
import { recordFaultFigures } from '../harness/fault-figures.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Browser, Page } from 'playwright-core';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { launchBrowser, sampleFrames } from '../harness/browser.ts';
import { openPlayer, openTwoWay, publishOn } from '../harness/sdk-pages.ts';
import { RawWcsClient } from '../harness/wcs-client.ts';
import { hostileFrames, pick, prng } from '../harness/fuzz.ts';

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

describe('R5: hostile WCS peers', () => {
  let ns: NetNamespace;
  let a: RelayProcess;
  let b: RelayProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let player: Page;

  beforeAll(async () => {
    ns = NetNamespace.create();
    [a, b] = await Promise.all([
      RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'origin', SIPHON_LOG_LEVEL: 'info' }),
      RelayProcess.start(ns, { ...RelayProcess.slot(1), SIPHON_PULL_RETRY_MAX_MS: '500', SIPHON_LOG_LEVEL: 'info' }),
    ]);
    ({ browser, close: closeBrowser } = await launchBrowser(ns));
    const pub = await openTwoWay(browser, a.pageUrl);
    await publishOn(pub.page, 'steady');
    ({ page: player } = await openPlayer(browser, a.pageUrl, 'steady'));
  });

  afterAll(async () => {
    await closeBrowser?.();
    await Promise.all([a?.stop(), b?.stop()]);
    ns?.destroySync();
  });

  it("against the relay's server: 1200 hostile frames, huge frames and slow senders; the player plays on", async () => {
    const pid = a.child.pid!;
    const rssBefore = rssMb(pid);
    const frames = hostileFrames(1200, 0xbad5eed);
    const rand = prng(7);
    let sent = 0;
    const worker = async (part: string[]) => {
      let client: RawWcsClient | undefined;
      let closed = true;
      for (const f of part) {
        if (closed) {
          client = await RawWcsClient.open(a.wsUrl, rand() < 0.5);
          closed = false;
          void client.closed.then(() => { closed = true; });
        }
        client!.sendRaw(f);
        sent += 1;
        if (rand() < 0.1) client!.send('ping', null); // keep some sessions mixing good frames in
      }
      client?.close();
    };
    const parts = Array.from({ length: 8 }, (_, i) => frames.filter((_f, j) => j % 8 === i));

    // Slow senders: upgrade requests dribbled a byte at a time, and sockets that never finish their headers.
    const slow = Array.from({ length: 5 }, () => new Promise<void>((resolve) => {
      const s = connect(a.port, ns.address, () => {
        const req = `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${Buffer.from('0123456789abcdef').toString('base64')}\r\n\r\n`;
        let i = 0;
        const timer = setInterval(() => { if (i < req.length) s.write(req[i++]!); else { clearInterval(timer); s.destroy(); resolve(); } }, 20);
      });
      s.on('error', () => resolve());
    }));
    const huge = Array.from({ length: 5 }, async () => {
      const c = await RawWcsClient.open(a.wsUrl);
      c.sendRaw('{"message":"publishStream","data":["' + 'A'.repeat(2 * 1024 * 1024) + '"]}');
      return (await c.closed).code;
    });

    await Promise.all([...parts.map(worker), ...slow]);
    expect(await Promise.all(huge)).toEqual([1009, 1009, 1009, 1009, 1009]);
    expect(sent).toBe(1200);
    console.log(`R5 server: ${sent} hostile frames; relay RSS ${rssBefore.toFixed(0)} → ${rssMb(pid).toFixed(0)} MB`);

    expect(a.child.exitCode).toBeNull();
    expect((await fetch(`${a.url}/health`)).status).toBe(200);
    expect(await player.textContent('#status')).toBe('PLAYING');
    const samples = await sampleFrames(player, 2);
    expect(samples[2]!).toBeGreaterThan(samples[0]! + 10);
    expect(rssMb(pid) - rssBefore).toBeLessThan(150);
    recordFaultFigures('R5', 'hostile WCS frames at the relay\'s WCS server, 8 sessions, slow and huge senders; an SDK player beside them',
      { frames: sent, rssGrowthMb: rssMb(pid) - rssBefore, playerStillPlaying: 1 }, 'server');
  });

  it('against the pull agent: a hostile remote feeds 1000+ bad frames; a good pull beside it keeps playing', async () => {
    const good = await fetch(`${b.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: a.innerWsUrl, remoteStreamName: 'origin', localStreamName: 'good' }) });
    expect(good.status).toBe(200);
    const statusOf = async (name: string) => ((await (await fetch(`${b.url}/rest-api/pull/find_all`)).json()) as { localStreamName: string; status: string; attempts: number; lastError: string }[]).find((p) => p.localStreamName === name);
    await expect.poll(async () => (await statusOf('good'))?.status, { timeout: 20_000 }).toBe('PLAYING');

    const rand = prng(0x4e11);
    const bad = hostileFrames(1500, 0x4e12);
    let sent = 0;
    let connections = 0;
    const server = new WebSocketServer({ host: ns.hostAddress, port: 0 });
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    server.on('connection', (ws: WebSocket) => {
      connections += 1;
      const send = (s: string | Buffer) => { if (ws.readyState === ws.OPEN) { ws.send(s); sent += 1; } };
      ws.on('error', () => undefined);
      ws.on('message', (data) => {
        const msg = JSON.parse(data.toString()) as { message: string; data: { mediaSessionId?: string }[] };
        if (msg.message === 'connection') {
          send(JSON.stringify({ message: 'getUserData', data: [{ sessionId: 'hostile' }] }));
          for (let i = 0; i < 120 && bad.length; i++) send(bad.shift()!); // most are survivable noise, some end the session
        }
        if (msg.message === 'playStream') {
          const id = msg.data[0]!.mediaSessionId;
          send(JSON.stringify({ message: 'setRemoteSDP', data: [id, pick(rand, ['garbage', 'v=0\r\nm=video 9 RTP/AVP 98\r\na=rtpmap:98 VP9/90000\r\n', '']), true] }));
        }
      });
      if (rand() < 0.2) send(Buffer.from([0xde, 0xad])); // a binary frame
      if (rand() < 0.1) send('x'.repeat(2 * 1024 * 1024)); // a huge frame
    });

    const res = await fetch(`${b.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: `ws://${ns.hostAddress}:${port}`, remoteStreamName: 'x', localStreamName: 'victim' }) });
    expect(res.status).toBe(200);
    await expect.poll(() => sent, { timeout: 120_000, interval: 500 }).toBeGreaterThanOrEqual(1000);
    const victim = await statusOf('victim');
    console.log(`R5 agent: ${sent} hostile frames over ${connections} connections; victim attempts ${victim?.attempts}, last error: ${victim?.lastError}`);
    expect(connections).toBeGreaterThan(3);
    expect(victim?.lastError).toMatch(/malformed|closed|SDP|codecs|binary|Max payload|setRemoteSDP/i);
    expect(victim?.status).not.toBe('PLAYING');
    expect((await statusOf('good'))?.status).toBe('PLAYING');
    expect(b.child.exitCode).toBeNull();
    const bytes = async () => Number(/^siphon_media_bytes_in_total (\d+)$/m.exec(await (await fetch(`${b.url}/metrics`)).text())![1]);
    const now = await bytes();
    await expect.poll(bytes).toBeGreaterThan(now);
    expect((await fetch(`${b.url}/rest-api/pull/terminate`, { method: 'POST', body: '{"localStreamName":"victim"}' })).status).toBe(200);
    server.close();
    recordFaultFigures('R5', 'a hostile remote feeding bad frames to a pull, a good pull beside it', { frames: sent, connections, goodPullStillPlaying: 1 }, 'agent');
  });
});
