/** The LinkMonitor on fake timers: samples every 5 s while watched, logs every 30 s and on unwatch, survives a failing Admin API. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Logger } from '../../../../relay/log.ts';
import { LinkMonitor, type TeeTotals } from '../../../../relay/sources/pull/link-monitor.ts';

const reply = JSON.parse(readFileSync(new URL('../../../fixtures/janus/handle-info-pull-leg.json', import.meta.url), 'utf8')) as { info: unknown };

function recordingLog() {
  const lines: { level: string; event: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (event: string, fields: Record<string, unknown> = {}) => lines.push({ level, event, fields });
  return { lines, log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as unknown as Logger };
}

describe('LinkMonitor', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  const setup = (answer: (session: number, handle: number) => Promise<unknown>) => {
    const tee: TeeTotals = { packetsExpected: 0, packetsLost: 0, packetsLate: 0, keyframeRequests: 0 };
    const asked: [number, number][] = [];
    const { lines, log } = recordingLog();
    const monitor = new LinkMonitor(tee, (s, h) => { asked.push([s, h]); return answer(s, h); }, log);
    return { tee, asked, lines, monitor };
  };

  it('asks handle_info of the watched leg every 5 s, and logs pull.link every 30 s and once when unwatched', async () => {
    const { tee, asked, lines, monitor } = setup(async () => reply.info);
    monitor.watch({ sessionId: 7, id: 9 });
    (tee as { packetsExpected: number }).packetsExpected = 1000;
    await vi.advanceTimersByTimeAsync(4_999);
    expect(asked).toEqual([]);
    expect(monitor.link.updatedAt).toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    expect(asked).toEqual([[7, 9]]);
    expect(monitor.link).toMatchObject({ nacksSent: 55, retransmissionsReceived: 40, lossPct: 0.8, lossAfterRepairPct: 0 });
    expect(lines.filter((l) => l.event === 'pull.link')).toEqual([]);

    await vi.advanceTimersByTimeAsync(25_000);
    expect(asked).toHaveLength(6);
    expect(lines.filter((l) => l.event === 'pull.link')).toEqual([{ level: 'info', event: 'pull.link', fields: monitor.link }]);

    monitor.slowlink();
    monitor.unwatch();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(asked).toHaveLength(6); // no timer left behind
    const logged = lines.filter((l) => l.event === 'pull.link');
    expect(logged).toHaveLength(2);
    expect(logged[1]!.fields).toMatchObject({ slowlinkEvents: 1, nacksSent: 55 });
  });

  it('a failing or hanging Admin API never throws: it is logged at debug and the link keeps what it knew', async () => {
    let mode: 'ok' | 'fail' | 'hang' = 'ok';
    const { tee, asked, lines, monitor } = setup(async () => {
      if (mode === 'fail') throw new Error('admin handle_info timed out after 2000 ms');
      if (mode === 'hang') return new Promise(() => undefined);
      return reply.info;
    });
    monitor.watch({ sessionId: 1, id: 2 });
    await vi.advanceTimersByTimeAsync(5_000);
    const known = monitor.link;
    mode = 'fail';
    Object.assign(tee, { packetsExpected: 500, packetsLost: 5 });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(monitor.link).toMatchObject({ nacksSent: known.nacksSent, lossPct: known.lossPct, rttMs: known.rttMs, lossAfterRepairPct: 1 });
    expect(lines.find((l) => l.event === 'pull.link_handle_info_failed')).toMatchObject({ level: 'debug', fields: { handle: 2 } });

    mode = 'hang';
    await vi.advanceTimersByTimeAsync(20_000); // one request hangs; no more pile up behind it
    expect(asked).toHaveLength(3);
    expect(monitor.link.nacksSent).toBe(known.nacksSent);
    monitor.unwatch();
    mode = 'ok'; // a hung request of the old leg does not hold up the next one
    monitor.watch({ sessionId: 1, id: 5 });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(asked.at(-1)).toEqual([1, 5]);
    monitor.unwatch();
  });

  it('an answer about an earlier leg is dropped, and the next leg adds to the counts of the one before', async () => {
    let release: (v: unknown) => void = () => undefined;
    let slow = true;
    const { monitor } = setup(() => (slow ? new Promise((resolve) => { release = resolve; }) : Promise.resolve(reply.info)));
    monitor.watch({ sessionId: 1, id: 2 });
    await vi.advanceTimersByTimeAsync(5_000);
    monitor.unwatch(); // the pull failed while handle_info was out
    release(reply.info);
    await vi.advanceTimersByTimeAsync(0);
    expect(monitor.link.nacksSent).toBeNull();

    slow = false;
    monitor.watch({ sessionId: 1, id: 3 });
    await vi.advanceTimersByTimeAsync(5_000);
    monitor.unwatch();
    monitor.watch({ sessionId: 1, id: 4 });
    await vi.advanceTimersByTimeAsync(5_000);
    expect([monitor.link.nacksSent, monitor.link.retransmissionsReceived]).toEqual([110, 80]);
    monitor.unwatch();
  });
});
