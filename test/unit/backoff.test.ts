/** The relay's one backoff (pull attempts, Janus restarts, the demo source): retryDelayMs. */
import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../relay/backoff.ts';

describe('retry backoff (retryDelayMs)', () => {
  it('the first retry comes within 1 s, whatever the jitter', () => {
    for (const r of [0, 0.5, 0.999]) expect(retryDelayMs(1, 30_000, () => r)).toBeLessThanOrEqual(1000);
  });

  it('grows exponentially and is capped at 30 s', () => {
    const max = (n: number) => retryDelayMs(n, 30_000, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(max)).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('jitters between half and all of the step, so pulls of one origin spread out', () => {
    expect(retryDelayMs(5, 30_000, () => 0)).toBe(4000);
    expect(retryDelayMs(5, 30_000, () => 1)).toBe(8000);
    const seen = new Set(Array.from({ length: 50 }, () => retryDelayMs(6, 30_000)));
    expect(seen.size).toBeGreaterThan(10);
  });
});
