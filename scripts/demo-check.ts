/**
 * `npm start` says "up" only once relay A's demo stream really has media: its GStreamer source is running
 * (RTP reaches the tee) and its mountpoint exists. Otherwise it says what GStreamer said and how to fix it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { gstElementPackage } from '../relay/host/gstreamer-elements.ts';

interface TestSourceHealth { stream: string; state: string; restarts: number; lastError: string | null; mountpoint: string | null }

export class DemoBroken extends Error {
  override name = 'DemoBroken';
}

/** How to fix what GStreamer said, when we know. */
export function fixFor(lastError: string | null): string {
  const element = /no element "([^"]+)"/.exec(lastError ?? '')?.[1];
  if (element) {
    const pkg = gstElementPackage(element);
    return pkg ? `the GStreamer element ${element} is missing: apt-get install ${pkg} (or npm run doctor -- --install)`
      : `the GStreamer element ${element} is missing; npm run doctor lists what Siphon needs`;
  }
  return 'see .run/logs/relay-a.log (events test_source.*); npm run doctor checks what Siphon needs';
}

export async function waitForDemoMedia(healthUrl: string, timeoutMs = 30_000, failuresToGiveUp = 2): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: TestSourceHealth | null = null;
  while (Date.now() < deadline) {
    last = ((await (await fetch(healthUrl)).json()) as { testSource: TestSourceHealth | null }).testSource;
    if (!last) throw new DemoBroken('relay A runs no demo stream (SIPHON_DEMO_STREAM is empty)');
    if (last.state === 'running' && last.mountpoint) return;
    if (last.restarts >= failuresToGiveUp) break;
    await delay(250); // /health has no push channel; a few polls while GStreamer starts
  }
  const said = last?.lastError ? `GStreamer said: ${last.lastError}` : `its source is ${last?.state ?? 'unknown'}`;
  throw new DemoBroken(`the demo stream "${last?.stream}" has no media (${said}). Fix: ${fixFor(last?.lastError ?? null)}`);
}
