/**
 * Which SRTP profile each kind of browser leg gets from a relay, and which end of the DTLS handshake chose it: Chromium
 * (the harness's, headless) on the viewer page (Janus offers), WHEP (medooze's client: the browser offers), the SDK's
 * player and two-way pages (the browser offers), read from getStats (transport: srtpCipher, dtlsRole). B13 runs with
 * each profile seen here (`--profile=cm` when a leg gets AES_CM_128_HMAC_SHA1_80).
 * Run: node --import tsx bench/browser-srtp-profiles.ts
 */
import type { Page } from 'playwright-core';
import { NetNamespace } from '../test/harness/netns.ts';
import { RelayProcess } from '../test/harness/relay-process.ts';
import { framesDecoded, installFrameCounter, launchBrowser } from '../test/harness/browser.ts';
import { PLAYER, clickWhenBound, openTwoWay, publishOn } from '../test/harness/sdk-pages.ts';
import { openWhep } from '../test/harness/whep-page.ts';
import { BenchReport } from './report.ts';
import { machine, waitFor } from './lib.ts';

interface Leg { srtpCipher: string; dtlsRole: string; dtlsCipher: string }

const transports = (page: Page) => page.evaluate(async () => {
  const out: Leg[] = [];
  for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
    (await pc.getStats()).forEach((s) => { if (s.type === 'transport' && s.srtpCipher) out.push({ srtpCipher: s.srtpCipher, dtlsRole: s.dtlsRole, dtlsCipher: s.dtlsCipher }); });
  }
  return out;
});

async function playing(page: Page): Promise<Page> {
  await waitFor(() => framesDecoded(page), (n) => n > 0, 20_000, 200);
  return page;
}

const ns = NetNamespace.create();
const relay = await RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'cam', SIPHON_LOG_LEVEL: 'info' });
const { browser, close } = await launchBrowser(ns);
const chromium = browser.version();
const rows: [string, string, string, string][] = [];
try {
  const viewer = await browser.newPage();
  await installFrameCounter(viewer);
  await viewer.goto(`${relay.pageUrl}/viewer.html?stream=cam`);
  const player = await browser.newPage();
  await installFrameCounter(player);
  await player.goto(`${relay.pageUrl}${PLAYER}?streamName=cam`);
  await player.fill('#url', relay.pageUrl.replace(/^http/, 'ws'));
  await clickWhenBound(player, '#playBtn');
  const whep = await openWhep(browser, relay.pageUrl, `${relay.pageUrl}/whep/cam`);
  const publisher = await openTwoWay(browser, relay.pageUrl);
  await publishOn(publisher.page, 'browser-cam');
  const legs: [string, Page][] = [
    ['viewer page (Streaming mountpoint; Janus offers)', await playing(viewer)],
    ['WHEP, medooze client (the browser offers)', await playing(whep.page)],
    ['SDK player page (WCS; the browser offers)', await playing(player)],
    ['SDK two-way page, publishing (WCS; the browser offers)', publisher.page],
  ];
  for (const [name, page] of legs) {
    for (const t of await transports(page)) rows.push([name, t.srtpCipher, t.dtlsRole === 'client' ? 'the browser' : 'Janus', t.dtlsCipher]);
  }
} finally {
  await close();
  await relay.stop();
  ns.destroySync();
}
const report = new BenchReport('srtp-profiles', { conditions: `Chromium ${chromium} against relay with the Janus setup builds; one leg of each kind` });
report.table('SRTP profile per browser leg (getStats transport)', ['leg', 'srtpCipher', 'DTLS client (offers the profiles; the server picks)', 'dtlsCipher'], rows);
console.log(`machine: ${machine()}`);
report.figures({ legs: rows.length, cmLegs: rows.filter((r) => r[1].includes('CM')).length });
report.write();
