/**
 * What a viewer in Chromium saw, from getStats on every peer connection the page made (its own or the
 * SDK's): freezes, frames, loss after repair, NACKs, PLIs, audio concealment. Counters are cumulative;
 * `qualityBetween` turns two readings into the figures a person would notice over that window.
 */
import type { Page } from 'playwright-core';

export interface QualityCounters {
  at: number;
  framesDecoded: number; framesDropped: number; freezeCount: number; totalFreezesDuration: number;
  pauseCount: number; videoPacketsReceived: number; videoPacketsLost: number; nackCount: number; pliCount: number;
  retransmittedPacketsReceived: number; keyFramesDecoded: number;
  audioPacketsReceived: number; audioPacketsLost: number; concealedSamples: number; totalSamplesReceived: number;
  rttMs: number; srtpCipher: string;
}

export interface PlaybackQuality {
  seconds: number;
  /** Share of the window spent frozen (totalFreezesDuration / window), in %. */
  freezePct: number;
  freezesPerMinute: number;
  meanFreezeMs: number;
  fps: number;
  framesDropped: number;
  /** Video packets lost after every repair, in % of those expected. */
  videoLossPct: number;
  nacksPerMinute: number;
  plis: number;
  audioConcealedPct: number;
  pauses: number;
}

/**
 * Wraps RTCPeerConnection before any page script runs, so every connection is seen (kept in `window.__pcs`,
 * which browser.ts's frame counter reads too).
 */
export async function installQualityProbe(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const pcs: RTCPeerConnection[] = [];
    (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = pcs;
    const Orig = window.RTCPeerConnection;
    window.RTCPeerConnection = function (this: unknown, ...args: ConstructorParameters<typeof RTCPeerConnection>) {
      const pc = new Orig(...args);
      pcs.push(pc);
      return pc;
    } as unknown as typeof RTCPeerConnection;
    window.RTCPeerConnection.prototype = Orig.prototype;
    (window as unknown as { __quality: () => Promise<Record<string, number | string>> }).__quality = async () => {
      // No named helpers in here: tsx would wrap them in a __name() the page does not have.
      const sum: Record<string, number | string> = { rttMs: 0, srtpCipher: '' };
      const video = ['framesDecoded', 'framesDropped', 'freezeCount', 'totalFreezesDuration', 'pauseCount', 'nackCount', 'pliCount',
        'retransmittedPacketsReceived', 'keyFramesDecoded', 'packetsReceived:videoPacketsReceived', 'packetsLost:videoPacketsLost'];
      const audio = ['packetsReceived:audioPacketsReceived', 'packetsLost:audioPacketsLost', 'concealedSamples', 'totalSamplesReceived'];
      for (const pc of pcs) {
        if (pc.connectionState === 'closed') continue;
        (await pc.getStats()).forEach((s) => {
          const fields = s.type === 'inbound-rtp' ? (s.kind === 'video' ? video : audio) : [];
          for (const f of fields) {
            const [from, to] = f.includes(':') ? f.split(':') : [f, f];
            sum[to!] = (Number(sum[to!]) || 0) + (Number(s[from!]) || 0);
          }
          if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined) sum.rttMs = Math.round(s.currentRoundTripTime * 1000);
          if (s.type === 'transport' && s.srtpCipher) sum.srtpCipher = s.srtpCipher;
        });
      }
      return sum;
    };
  });
}

export async function readQuality(page: Page): Promise<QualityCounters> {
  const raw = await page.evaluate(() => (window as unknown as { __quality: () => Promise<Record<string, number | string>> }).__quality());
  const n = (k: string) => Number(raw[k]) || 0;
  return {
    at: Date.now(), framesDecoded: n('framesDecoded'), framesDropped: n('framesDropped'), freezeCount: n('freezeCount'),
    totalFreezesDuration: n('totalFreezesDuration'), pauseCount: n('pauseCount'), videoPacketsReceived: n('videoPacketsReceived'),
    videoPacketsLost: n('videoPacketsLost'), nackCount: n('nackCount'), pliCount: n('pliCount'),
    retransmittedPacketsReceived: n('retransmittedPacketsReceived'), keyFramesDecoded: n('keyFramesDecoded'),
    audioPacketsReceived: n('audioPacketsReceived'), audioPacketsLost: n('audioPacketsLost'), concealedSamples: n('concealedSamples'),
    totalSamplesReceived: n('totalSamplesReceived'), rttMs: n('rttMs'), srtpCipher: String(raw.srtpCipher ?? ''),
  };
}

export function qualityBetween(a: QualityCounters, b: QualityCounters): PlaybackQuality {
  const seconds = (b.at - a.at) / 1000;
  const d = (k: keyof QualityCounters) => (b[k] as number) - (a[k] as number);
  const freezes = d('freezeCount');
  const videoExpected = d('videoPacketsReceived') + d('videoPacketsLost');
  const samples = d('totalSamplesReceived');
  return {
    seconds,
    freezePct: (100 * d('totalFreezesDuration')) / seconds,
    freezesPerMinute: (60 * freezes) / seconds,
    meanFreezeMs: freezes ? (1000 * d('totalFreezesDuration')) / freezes : 0,
    fps: d('framesDecoded') / seconds,
    framesDropped: d('framesDropped'),
    videoLossPct: videoExpected > 0 ? (100 * d('videoPacketsLost')) / videoExpected : 0,
    nacksPerMinute: (60 * d('nackCount')) / seconds,
    plis: d('pliCount'),
    audioConcealedPct: samples > 0 ? (100 * d('concealedSamples')) / samples : 0,
    pauses: d('pauseCount'),
  };
}
