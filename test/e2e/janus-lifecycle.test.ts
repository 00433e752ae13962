/**
 * Janus dies under a playing stream: clients are told (FAILED, nothing hangs), the relay restarts
 * Janus by itself and serves new publish/play. SIGTERM then stops the relay with nothing left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { launchBrowser, sampleFrames } from '../harness/browser.ts';
import { openPlayer, openTwoWay, publishOn, textIs } from '../harness/sdk-pages.ts';
import type { Page } from 'playwright-core';

const readViewerFrames = (p: Page) => p.evaluate(() => (window as unknown as { siphonViewer: { framesDecoded: number } }).siphonViewer.framesDecoded);

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

function listeningSockets(ns: NetNamespace): string[] {
  return execFileSync('ip', ['netns', 'exec', ns.name, 'ss', '-Hltun'], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

describe('Janus lifecycle under the relay', () => {
  let ns: NetNamespace;
  let relay: RelayProcess;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;

  beforeAll(async () => {
    ns = NetNamespace.create();
    relay = await RelayProcess.start(ns, { SIPHON_JANUS_HEALTH_INTERVAL_MS: '500', SIPHON_DEMO_STREAM: 'demo' });
    ({ browser, close: closeBrowser } = await launchBrowser(ns));
  });

  afterAll(async () => {
    await closeBrowser?.();
    await relay?.stop();
    ns?.destroySync();
  });

  it('SIGKILL of Janus: clients get FAILED, Janus is restarted, a new publish/play works', async () => {
    const viewer = await browser.newPage();
    await viewer.goto(`${relay.pageUrl}/viewer.html?stream=demo`);
    await textIs(viewer, '#status', 'playing');
    const pub = await openTwoWay(browser, relay.pageUrl);
    await publishOn(pub.page, 'before-kill');
    const player = await openPlayer(browser, relay.pageUrl, 'before-kill');
    const health = await (await fetch(`${relay.url}/health`)).json() as { janus: { pid: number } };
    const oldPid = health.janus.pid;
    expect(alive(oldPid)).toBe(true);

    process.kill(oldPid, 'SIGKILL');
    const pubFailed = await pub.statuses.waitFor('FAILED');
    const playerFailed = await player.statuses.waitFor('FAILED');
    expect(pubFailed.info).toMatch(/Janus/);
    expect(playerFailed.info).toMatch(/Janus/);
    await relay.waitFor((l) => l.event === 'janus.state' && l.to === 'up' && l.pid !== oldPid);

    const after = await fetch(`${relay.url}/health`);
    expect(after.status).toBe(200);
    const body = await after.json() as { janus: { pid: number; restarts: number; state: string } };
    expect(body.janus.state).toBe('up');
    expect(body.janus.restarts).toBe(1);
    expect(body.janus.pid).not.toBe(oldPid);
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metrics).toMatch(/^siphon_janus_restarts_total 1$/m);

    // The demo stream's source outlived Janus: its mountpoint is back and the viewer page resumed by itself.
    await viewer.waitForFunction(() => {
      const v = (window as unknown as { siphonViewer: { status: string; reconnects: number; framesDecoded: number } }).siphonViewer;
      return v.reconnects > 0 && v.status === 'playing' && v.framesDecoded > 0;
    }, undefined, { timeout: 30_000 });
    const viewerFrames = await sampleFrames(viewer, 2, readViewerFrames);
    expect(viewerFrames[2]!).toBeGreaterThan(viewerFrames[0]!);
    expect(relay.lines.filter((l) => l.event === 'mountpoint.created' && l.stream === 'demo').length).toBe(2);
    await viewer.close();

    await pub.page.close();
    await player.page.close();
    const pub2 = await openTwoWay(browser, relay.pageUrl);
    await publishOn(pub2.page, 'after-kill');
    const player2 = await openPlayer(browser, relay.pageUrl, 'after-kill');
    const samples = await sampleFrames(player2.page, 2);
    expect(samples[2]!).toBeGreaterThan(samples[0]! + 10);
    await pub2.page.close();
    await player2.page.close();
  });

  it('SIGTERM stops the relay: exit 0, Janus gone, no child process and no listening port left', async () => {
    await closeBrowser(); // Chromium's own mDNS sockets live in the same namespace
    const health = await (await fetch(`${relay.url}/health`)).json() as { janus: { pid: number } };
    const janusPid = health.janus.pid;
    const relayPid = relay.child.pid!;
    expect(childrenOf(relayPid).length).toBeGreaterThan(0);
    expect(listeningSockets(ns).length).toBeGreaterThan(0);

    const code = await relay.stop();
    expect(code).toBe(0);
    expect(alive(janusPid)).toBe(false);
    expect(childrenOf(relayPid)).toEqual([]);
    expect(listeningSockets(ns)).toEqual([]);
    expect(relay.lines.some((l) => l.event === 'relay.stopped')).toBe(true);
  });
});
