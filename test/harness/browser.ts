/**
 * Headless Debian Chromium inside a namespace, driven by playwright-core over a pipe, with the fake
 * camera and microphone. One browser per suite keeps two cores free for the media.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetNamespace } from './netns.ts';
import { installQualityProbe } from './playback-quality.ts';

export async function launchBrowser(ns: NetNamespace, extraArgs: string[] = []): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'siphon-chromium-'));
  const wrapper = join(dir, 'chromium-in-ns');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns.name} /usr/bin/chromium "$@"\n`);
  chmodSync(wrapper, 0o755);
  const browser = await chromium.launch({
    executablePath: wrapper, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic', '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required', ...extraArgs],
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type StatSum = (type: string, field: string) => Promise<number>;

/**
 * Lets a test sum one video stat over every connection the page (or the SDK inside it) made: inbound
 * `framesDecoded` for players, outbound `pliCount` for publishers; and say how well it played (playback-quality.ts,
 * whose wrapper of RTCPeerConnection collects the connections).
 */
export async function installFrameCounter(page: Page): Promise<void> {
  await installQualityProbe(page);
  await page.addInitScript(() => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
    // Stops or resumes every outgoing track without ending the session: a publisher gone silent.
    const parked = new Map<RTCRtpSender, MediaStreamTrack | null>();
    (window as unknown as { __setSending: (on: boolean) => Promise<void> }).__setSending = async (on) => {
      for (const pc of pcs) {
        for (const sender of pc.getSenders()) {
          if (!on) { parked.set(sender, sender.track); await sender.replaceTrack(null); }
          else if (parked.has(sender)) await sender.replaceTrack(parked.get(sender)!);
        }
      }
    };
    (window as unknown as { __videoStat: StatSum }).__videoStat = async (type, field) => {
      let total = 0;
      for (const pc of pcs) {
        if (pc.connectionState === 'closed') continue;
        (await pc.getStats()).forEach((s) => { if (s.type === type && s.kind === 'video') total += s[field] ?? 0; });
      }
      return total;
    };
  });
}

const videoStat = (page: Page, type: string, field: string) =>
  page.evaluate(([t, f]) => (window as unknown as { __videoStat: StatSum }).__videoStat(t!, f!), [type, field]);

export const framesDecoded = (page: Page) => videoStat(page, 'inbound-rtp', 'framesDecoded');

/** Makes a publishing page stop (false) or resume (true) sending media, its session left open. */
export const setSending = (page: Page, on: boolean) =>
  page.evaluate((o) => (window as unknown as { __setSending: (on: boolean) => Promise<void> }).__setSending(o), on);

/** PLIs a publishing page received: proof that keyframe requests reached the browser's encoder. */
export const pliReceived = (page: Page) => videoStat(page, 'outbound-rtp', 'pliCount');

/** Frames keep coming: the counter rises across `seconds`, sampled each second. Returns the samples. */
export async function sampleFrames(page: Page, seconds: number, read = framesDecoded): Promise<number[]> {
  const samples = [await read(page)];
  for (let i = 0; i < seconds; i++) {
    await page.waitForTimeout(1000);
    samples.push(await read(page));
  }
  return samples;
}
