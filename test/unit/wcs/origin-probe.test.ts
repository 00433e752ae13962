/** OriginProbe behind its one boundary (reaching host:port), faked, on fake timers: only a comeback triggers a retry. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OriginProbe, type Reach } from '../../../relay/wcs/origin-probe.ts';

/** A Reach answering from a script of results (the last one repeats), recording each probe. */
function scripted(results: boolean[]) {
  const calls: string[] = [];
  const reach: Reach = async (host, port) => { calls.push(`${host}:${port}`); return results[Math.min(calls.length - 1, results.length - 1)]!; };
  return { reach, calls };
}

describe('OriginProbe', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('an origin down and then back: onBack once, and probing stops', async () => {
    const { reach, calls } = scripted([false, false, true]);
    const onBack = vi.fn();
    new OriginProbe('wss://origin.example:8443', reach).watch(onBack);
    await vi.advanceTimersByTimeAsync(600); // two probe intervals
    expect(onBack).toHaveBeenCalledTimes(1);
    expect(calls).toEqual(['origin.example:8443', 'origin.example:8443', 'origin.example:8443']);
    await vi.advanceTimersByTimeAsync(300); // one more probe interval: none comes
    expect(calls).toHaveLength(3);
  });

  it('an origin that answers all along (its stream is missing): no early retry, one probe only', async () => {
    const { reach, calls } = scripted([true]);
    const onBack = vi.fn();
    new OriginProbe('ws://10.0.0.1:8080', reach).watch(onBack);
    await vi.advanceTimersByTimeAsync(300);
    expect([onBack.mock.calls.length, calls]).toEqual([0, ['10.0.0.1:8080']]);
  });

  it('stop() (an attempt started, the pull ended) silences a probe in flight; default ports by scheme', async () => {
    const { reach, calls } = scripted([false, true]);
    const onBack = vi.fn();
    const probe = new OriginProbe('wss://h', reach);
    probe.watch(onBack);
    probe.stop();
    await vi.advanceTimersByTimeAsync(300);
    expect([onBack.mock.calls.length, calls]).toEqual([0, ['h:443']]);
  });
});
