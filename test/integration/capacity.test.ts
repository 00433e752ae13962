/**
 * A relay that knows its capacity (SIPHON_MAX_VIEWERS=2) with a real Janus, no browser: past two WebRTC viewers a new
 * one is refused with a reason on every protocol — WHEP 503 `relay_full` with Retry-After, the WCS API FAILED, the
 * viewer page's watch a Janus error — while HLS is still served; a viewer leaving makes room again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { RawWcsClient } from '../harness/wcs-client.ts';

const OFFER = readFileSync(new URL('../fixtures/sdp/chromium-play-offer.sdp', import.meta.url), 'utf8');

/** The viewer page's side of the /janus proxy: a session, a Streaming handle, and its watch's first answer. */
async function watch(wsUrl: string, stream: string): Promise<{ answer: Record<string, any>; close: () => void }> {
  const ws = new WebSocket(`${wsUrl}/janus`, 'janus-protocol');
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const request = (m: Record<string, unknown>) => new Promise<Record<string, any>>((resolve) => {
    const on = (d: WebSocket.RawData) => {
      const reply = JSON.parse(d.toString()) as Record<string, any>;
      if (reply.transaction !== m.transaction || reply.janus === 'ack') return;
      ws.off('message', on);
      resolve(reply);
    };
    ws.on('message', on);
    ws.send(JSON.stringify(m));
  });
  const session_id = (await request({ janus: 'create', transaction: 'c' })).data.id;
  const handle_id = (await request({ janus: 'attach', session_id, plugin: 'janus.plugin.streaming', transaction: 'a' })).data.id;
  const answer = await request({ janus: 'message', session_id, handle_id, body: { request: 'watch', id: stream }, transaction: 'w' });
  return { answer, close: () => ws.close() };
}

const whep = (relay: RelayProcess) => fetch(`${relay.url}/whep/cam`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: OFFER });
const gauge = async (relay: RelayProcess, name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${relay.url}/metrics`)).text())?.[1]);

describe('viewer capacity', () => {
  let ns: NetNamespace;
  let relay: RelayProcess;

  beforeAll(async () => {
    ns = NetNamespace.create();
    relay = await RelayProcess.start(ns, { SIPHON_MAX_VIEWERS: '2', SIPHON_DEMO_STREAM: 'cam', SIPHON_DEMO_CODEC: 'h264' });
  });

  afterAll(async () => {
    await relay?.stop();
    ns?.destroySync();
  });

  it('past 2 WebRTC viewers: WHEP 503 with Retry-After, WCS FAILED, the viewer page refused, HLS served; room again when one leaves', async () => {
    const first = await whep(relay);
    expect(first.status).toBe(201);
    const page = await watch(relay.wsUrl, 'cam');
    expect(page.answer.janus).toBe('event'); // admitted: Janus's offer follows
    expect([await gauge(relay, 'siphon_webrtc_viewers'), await gauge(relay, 'siphon_viewer_capacity')]).toEqual([2, 2]);

    const refused = await whep(relay);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toEqual({ error: 'relay_full', message: 'relay full: 2 of 2 WebRTC viewers; try again later or another relay' });
    const wcs = await RawWcsClient.open(relay.wsUrl);
    wcs.send('playStream', { mediaSessionId: 'p-1', name: 'cam', sdp: OFFER, custom: {} });
    expect((await wcs.statusFor('p-1')).data[0]).toMatchObject({ status: 'FAILED', info: expect.stringMatching(/^relay full: 2 of 2/) });
    const second = await watch(relay.wsUrl, 'cam');
    expect(second.answer).toMatchObject({ janus: 'error', error: { code: 503, reason: expect.stringMatching(/relay full/) } });
    second.close();
    expect((await fetch(`${relay.hlsUrl}/cam/cam.m3u8`)).status).toBe(200); // HLS is not counted: served from one shared window

    expect((await fetch(`${relay.url}${first.headers.get('location')}`, { method: 'DELETE' })).status).toBe(200);
    const again = await whep(relay);
    expect(again.status).toBe(201);
    wcs.close();
    page.close();
  });
});
