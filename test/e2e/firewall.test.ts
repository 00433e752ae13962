/**
 * Clients whose UDP is blocked, in Chromium: the browser's namespace reaches the relay's only through the link
 * emulator, which drops every UDP frame (a firewall that lets TCP through). The SDK playing with
 * `transport: "TCP"` plays over ICE-TCP to Janus; the SDK's firewall-traversal page plays through Debian's coturn
 * (TURN over TCP, `iceTransportPolicy: "relay"`) next to the relay; a WHEP player gets UDP and TCP candidates and
 * connects over TCP, and so does a WHIP encoder; a pull between two relays with ICE-TCP on still plays. Each asserts the pair Chromium chose.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { NetNamespace } from '../harness/netns.ts';
import { ImpairedLink } from '../harness/impaired-link.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { TurnServer } from '../harness/turn-server.ts';
import { framesDecoded, installFrameCounter, launchBrowser, sampleFrames } from '../harness/browser.ts';
import { PLAYER, clickWhenBound, textIs } from '../harness/sdk-pages.ts';
import { openWhep, openWhip, whepFirstFrameMs } from '../harness/whep-page.ts';

const FIREWALL_PAGE = '/client2/examples/demo/streaming/firewall-traversal-streaming/firewall-traversal-streaming.html';

/** The candidate pair the page's connections carry media on: its local candidate's protocol and type. */
const selectedPair = (page: Page) => page.evaluate(async () => {
  for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
    const stats = await pc.getStats();
    let pair: { localCandidateId?: string; remoteCandidateId?: string } | undefined;
    stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId); });
    if (!pair) continue;
    const local = stats.get(pair.localCandidateId!);
    const remote = stats.get(pair.remoteCandidateId!);
    return { protocol: local.protocol as string, type: local.candidateType as string, relayProtocol: local.relayProtocol as string | undefined, remoteProtocol: remote.protocol as string };
  }
  return undefined;
});

describe('firewalled clients (UDP to the relay dropped)', () => {
  let nsRelay: NetNamespace;
  let nsClient: NetNamespace;
  let link: ImpairedLink;
  let relay: RelayProcess;
  let turn: TurnServer;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let base: string;

  beforeAll(async () => {
    nsRelay = NetNamespace.create();
    nsClient = NetNamespace.create();
    link = await ImpairedLink.create(nsClient, nsRelay, 3);
    [relay, turn] = await Promise.all([
      RelayProcess.start(nsRelay, { SIPHON_DEMO_STREAM: 'demo', SIPHON_ICE_TCP: 'true', SIPHON_ICE_INTERFACES: link.ifB, SIPHON_ICE_TIMEOUT_MS: '4000', SIPHON_LOG_LEVEL: 'info' }),
      TurnServer.start(nsRelay, link.addressB),
    ]);
    base = `http://${link.addressB}:8080`;
    // The pages come from the relay's address, not localhost: as on https, the SDK then picks WebRTC (else MSE).
    ({ browser, close: closeBrowser } = await launchBrowser(nsClient, [`--unsafely-treat-insecure-origin-as-secure=${base}`]));
    await link.set('both', { dropUdp: true });
  });

  afterAll(async () => {
    await closeBrowser?.();
    await Promise.all([relay?.stop(), turn?.stop()]);
    await link?.destroy();
    nsRelay?.destroySync();
    nsClient?.destroySync();
  });

  /** The SDK on its Player page, playing `demo` with the given transport: the status it reaches. */
  const play = (page: Page, transport: 'UDP' | 'TCP') => page.evaluate(([url, t]) => new Promise<string>((resolve) => {
    const fp = (window as unknown as { Flashphoner: any }).Flashphoner;
    const { SESSION_STATUS, STREAM_STATUS } = fp.constants;
    fp.createSession({ urlServer: url }).on(SESSION_STATUS.ESTABLISHED, (session: any) => {
      session.createStream({ name: 'demo', display: document.getElementById('remoteVideo'), transport: t })
        .on(STREAM_STATUS.PLAYING, () => resolve('PLAYING')).on(STREAM_STATUS.FAILED, (s: any) => resolve(`FAILED ${s.getInfo()}`)).play();
    }).on(SESSION_STATUS.FAILED, () => resolve('session FAILED'));
  }), [base.replace(/^http/, 'ws'), transport]);

  it('the SDK with transport "TCP" plays over a TCP pair, where the same player over UDP gets nothing', async () => {
    const page = await browser.newPage();
    await installFrameCounter(page);
    await page.goto(`${base}${PLAYER}`);
    // UDP: the offer/answer goes through (Websocket, TCP), ICE never completes; the relay gives up on the leg.
    expect(await play(page, 'UDP')).toMatch(/^FAILED/);
    expect(await framesDecoded(page)).toBe(0);
    const stats = await link.stats();
    expect(stats.ab.udpDropped + stats.ba.udpDropped).toBeGreaterThan(0);

    expect(await play(page, 'TCP')).toBe('PLAYING');
    await expect.poll(() => framesDecoded(page), { timeout: 15_000 }).toBeGreaterThan(30);
    const samples = await sampleFrames(page, 3);
    expect(samples.at(-1)! - samples[0]!).toBeGreaterThan(30); // ~30 fps: still playing
    expect(await selectedPair(page)).toMatchObject({ protocol: 'tcp', remoteProtocol: 'tcp' });
    await page.close();
  });

  it("the SDK's firewall-traversal page plays through TURN (coturn, over TCP) the same way", async () => {
    const page = await browser.newPage();
    await installFrameCounter(page);
    await page.goto(`${base}${FIREWALL_PAGE}`);
    await page.fill('#urlServer', base.replace(/^http/, 'ws'));
    await page.fill('#urlTurnServer', turn.tcpUrl);
    await page.fill('#usernameTurnServer', turn.username);
    await page.fill('#credentialTurnServer', turn.credential);
    expect(await page.isChecked('#forceRelay')).toBe(true);
    await clickWhenBound(page, '#connectBtn');
    await textIs(page, '#connectStatus', 'ESTABLISHED');
    await page.fill('#playStream', 'demo');
    await clickWhenBound(page, '#playBtn');
    await textIs(page, '#playStatus', 'PLAYING');
    await expect.poll(() => framesDecoded(page), { timeout: 15_000 }).toBeGreaterThan(30);
    expect(await selectedPair(page)).toMatchObject({ type: 'relay', relayProtocol: 'tcp' });
    expect(turn.allocations).toBeGreaterThan(0);
    await page.close();
  });

  it("a WHEP player (medooze's client) plays over ICE-TCP: the relay offers it TCP candidates beside UDP", async () => {
    const whep = await openWhep(browser, `${base}/`, `${base}/whep/demo`);
    expect(await whepFirstFrameMs(whep)).toBeGreaterThan(0);
    await expect.poll(() => framesDecoded(whep.page), { timeout: 15_000 }).toBeGreaterThan(30);
    expect(await selectedPair(whep.page)).toMatchObject({ protocol: 'tcp' });
    await whep.page.close();
  });

  it('a WHIP encoder (medooze\'s client) publishes over ICE-TCP the same way', async () => {
    const encoder = await openWhip(browser, `${base}/`, `${base}/whip/fw-cam`);
    expect(await encoder.resource()).toMatch(/\/whip\/fw-cam\//);
    await expect.poll(async () => {
      const res = await fetch(`${relay.url}/rest-api/stream/find`, { method: 'POST', body: JSON.stringify({ name: 'fw-cam', published: true }) });
      return res.ok ? ((await res.json()) as { status: string }[])[0]!.status : res.status;
    }, { timeout: 15_000 }).toBe('PUBLISHING');
    expect(await selectedPair(encoder.page)).toMatchObject({ protocol: 'tcp' });
    await encoder.page.close();
  });

  it('relay to relay with ICE-TCP on at both ends: a pull plays as before', async () => {
    const b = await RelayProcess.start(nsRelay, { ...RelayProcess.slot(1), SIPHON_ICE_TCP: 'true', SIPHON_ICE_INTERFACES: link.ifB });
    try {
      const res = await fetch(`${b.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: `ws://${link.addressB}:8080`, remoteStreamName: 'demo', localStreamName: 'demo-copy' }) });
      expect(res.status).toBe(200);
      await expect.poll(async () => ((await (await fetch(`${b.url}/rest-api/pull/find_all`)).json()) as { status: string }[])[0]!.status, { timeout: 20_000 }).toBe('PLAYING');
    } finally {
      await b.stop();
    }
  });
});
