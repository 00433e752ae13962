/** A pull's playout delay from its link figures. */
import { describe, expect, it } from 'vitest';
import { playoutDelayMs } from '../../../../relay/sources/pull/playout-delay.ts';
import type { PullLink } from '../../../../contract/pull.ts';

const link = (rttMs: number | null, retransmissionsReceived: number | null): PullLink => ({
  rttMs, lossPct: 1, lossAfterRepairPct: 0, nacksSent: retransmissionsReceived, retransmissionsReceived,
  keyframeRequests: 0, unrepairedGaps: 0, repairedLate: 0, slowlinkEvents: 0, updatedAt: '2026-12-02T00:00:00.000Z',
});

describe('playoutDelayMs', () => {
  it('is 0 on a link that has repaired nothing, whatever its RTT: a clean pull gets no added latency', () => {
    expect(playoutDelayMs(link(100, 0), 0, 400)).toBe(0);
    expect(playoutDelayMs(link(null, null), 0, 400)).toBe(0);
  });
  it('covers one NACK round trip and its jitter once the pull repairs loss, capped', () => {
    expect(playoutDelayMs(link(100, 12), 0, 400)).toBe(160);
    expect(playoutDelayMs(link(400, 12), 0, 400)).toBe(400);
    expect(playoutDelayMs(link(100, 12), 0, 0)).toBe(0); // turned off
  });
  it('moves only for a large change, and keeps its figure while a window has nothing new', () => {
    expect(playoutDelayMs(link(110, 12), 160, 400)).toBe(160);
    expect(playoutDelayMs(link(200, 12), 160, 400)).toBe(260);
    expect(playoutDelayMs(link(null, 12), 160, 400)).toBe(160);
  });
});
