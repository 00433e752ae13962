/**
 * R2: Janus is SIGKILLed under a playing pull with a viewer watching: the relay restarts Janus, the
 * pull plays again and the viewer page resumes by itself.
 */
import { recordFaultFigures } from '../harness/fault-figures.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { launchBrowser } from '../harness/browser.ts';
import { openViewer, viewerState } from '../harness/viewer-page.ts';

describe('R2: SIGKILL Janus mid-pull', () => {
  let ns: NetNamespace;
  let a: RelayProcess;
  let b: RelayProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;

  beforeAll(async () => {
    ns = NetNamespace.create();
    [a, b] = await Promise.all([
      RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'origin' }),
      RelayProcess.start(ns, { ...RelayProcess.slot(1), SIPHON_JANUS_HEALTH_INTERVAL_MS: '500' }),
    ]);
    ({ browser, close: closeBrowser } = await launchBrowser(ns));
  });

  afterAll(async () => {
    await closeBrowser?.();
    await Promise.all([a?.stop(), b?.stop()]);
    ns?.destroySync();
  });

  const status = async () => ((await (await fetch(`${b.url}/rest-api/pull/find_all`)).json()) as { status: string }[])[0]?.status;

  it('the pull is restored and the viewer resumes without anyone doing anything', async () => {
    await fetch(`${b.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: a.innerWsUrl, remoteStreamName: 'origin', localStreamName: 'copy' }) });
    await expect.poll(status, { timeout: 20_000 }).toBe('PLAYING');
    const viewer = await openViewer(browser, b.pageUrl, 'copy');

    const { janus } = await (await fetch(`${b.url}/health`)).json() as { janus: { pid: number } };
    process.kill(janus.pid, 'SIGKILL');
    const killedAt = Date.now();
    await b.waitFor((l) => l.event === 'pull.state' && l.stream === 'copy' && l.to === 'FAILED');
    await expect.poll(status, { timeout: 30_000, interval: 100 }).toBe('PLAYING');
    const pullBackMs = Date.now() - killedAt;
    console.log(`R2: pull PLAYING again ${pullBackMs} ms after SIGKILL`);

    await viewer.waitForFunction(() => {
      const v = (window as unknown as { siphonViewer: { status: string; reconnects: number; framesDecoded: number } }).siphonViewer;
      return v.reconnects > 0 && v.status === 'playing' && v.framesDecoded > 0;
    }, undefined, { timeout: 30_000 });
    const first = (await viewerState(viewer)).framesDecoded;
    await expect.poll(async () => (await viewerState(viewer)).framesDecoded).toBeGreaterThan(first);
    const viewerBackMs = Date.now() - killedAt;
    console.log(`R2: viewer playing again ${viewerBackMs} ms after SIGKILL`);
    recordFaultFigures('R2', "relay B's Janus SIGKILLed under a pull and a viewer page", { pullPlayingAfterKillMs: pullBackMs, viewerPlayingAfterKillMs: viewerBackMs });
  });
});
