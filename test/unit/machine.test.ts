/** The shared state-machine shape (relay/machine.ts), on fake timers: no real waiting. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../relay/log.ts';
import { Machine } from '../../relay/machine.ts';
import { retryDelayMs } from '../../relay/backoff.ts';

type S = 'idle' | 'busy' | 'failed' | 'stopped';

function machine(extra: Partial<ConstructorParameters<typeof Machine<S>>[0]> = {}) {
  const lines: [string, Record<string, unknown>][] = [];
  const log = { info: (event: string, fields: Record<string, unknown>) => lines.push([event, fields]) } as unknown as Logger;
  const changes: [S, S][] = [];
  const m = new Machine<S>({ initial: 'idle', log, event: 'thing.state', infoField: 'info', ended: ['stopped'],
    retryCapMs: 4000, random: () => 1, onChange: (to, from) => changes.push([to, from]), ...extra });
  return { m, lines, changes };
}

describe('Machine', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('logs each transition once with from, to, info and the extra fields, and calls onChange after', () => {
    let attempt = 3;
    const { m, lines, changes } = machine({ extra: () => ({ attempt }) });
    vi.setSystemTime(5000);
    expect(m.to('busy', 'connecting')).toBe(true);
    expect(m.to('busy', 'connecting')).toBe(false);
    expect(m.to('busy', 'other reason')).toBe(false); // the same state is no transition unless asked
    attempt = 4;
    m.to('failed', 'refused');
    expect(lines).toEqual([
      ['thing.state', { from: 'idle', to: 'busy', info: 'connecting', attempt: 3 }],
      ['thing.state', { from: 'busy', to: 'failed', info: 'refused', attempt: 4 }],
    ]);
    expect(Object.keys(lines[0]![1])).toEqual(['from', 'to', 'info', 'attempt']);
    expect(changes).toEqual([['busy', 'idle'], ['failed', 'busy']]);
    expect([m.state, m.info, m.since]).toEqual(['failed', 'refused', 5000]);
  });

  it('counts a new info in the same state as a transition when the machine says so, and logs info under its own name or not at all', () => {
    const a = machine({ newInfoIsTransition: true });
    a.m.to('failed', 'one');
    a.m.to('failed', 'two');
    expect(a.lines.map(([, f]) => f.info)).toEqual(['one', 'two']);
    const b = machine({ infoField: 'reason' });
    b.m.to('busy', 'why');
    const c = machine({ infoField: undefined });
    c.m.to('busy', 'why');
    expect([b.lines[0]![1], c.lines[0]![1]]).toEqual([{ from: 'idle', to: 'busy', reason: 'why' }, { from: 'idle', to: 'busy' }]);
  });

  it('ignores a stale callback once a new attempt began, and every callback once the machine ended', () => {
    const { m } = machine();
    const seen: string[] = [];
    const first = m.next();
    const onFirst = m.guard(first, (why: string) => seen.push(`first ${why}`));
    expect(m.current(first)).toBe(true);
    const second = m.next();
    onFirst('late exit');
    expect([m.current(first), m.current(second), m.generation]).toEqual([false, true, 2]);
    m.guard(second, (why: string) => seen.push(`second ${why}`))('exit');
    m.to('stopped');
    expect(m.current(second)).toBe(false);
    expect(seen).toEqual(['second exit']);
  });

  it('waits retryDelayMs of the failures in a row, capped, and starts over after a success', () => {
    const { m } = machine();
    const runs: number[] = [];
    const waits = [1, 2, 3, 4].map(() => {
      const wait = m.retry(() => runs.push(Date.now()));
      vi.advanceTimersByTime(wait);
      return wait;
    });
    expect(waits).toEqual([1, 2, 3, 4].map((n) => retryDelayMs(n, 4000, () => 1)));
    expect(waits).toEqual([500, 1000, 2000, 4000]);
    expect([runs.length, m.failuresInARow]).toEqual([4, 4]);
    m.succeeded();
    expect(m.retry(() => undefined)).toBe(500);
    expect(m.failed()).toBe(1000);
  });

  it('never runs a cancelled retry, and keeps one retry pending at most', () => {
    const { m } = machine();
    const run = vi.fn();
    m.retry(run);
    m.cancelRetry();
    vi.advanceTimersByTime(60_000);
    expect(run).not.toHaveBeenCalled();
    const replaced = vi.fn();
    m.retry(replaced);
    m.retry(run);
    vi.advanceTimersByTime(60_000);
    expect([replaced.mock.calls.length, run.mock.calls.length]).toEqual([0, 1]);
  });

  it('a machine without a retry cap does not retry', () => {
    const { m } = machine({ retryCapMs: undefined });
    expect(() => m.retry(() => undefined)).toThrow(/no retry cap/);
    expect(m.failuresInARow).toBe(0);
  });
});
