/** The Janus supervisor's loop against a faked Janus boundary: each case in milliseconds. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { once } from 'node:events';
import { loadConfig } from '../../../relay/config.ts';
import { Logger, setLogLevel, type LogFields } from '../../../relay/log.ts';
import { JanusSupervisor } from '../../../relay/janus/supervisor.ts';
import { FakeJanusRuntime } from '../fakes/fake-janus-runtime.ts';

setLogLevel('error');
const log = new Logger({ test: 'supervisor' });
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

function supervisor(runtime: FakeJanusRuntime, startTimeoutMs = 300) {
  const s = new JanusSupervisor(loadConfig({}), log, runtime, { startTimeoutMs, healthIntervalMs: 5, maxBackoffMs: 10, closeTimeoutMs: 20 });
  const ups: unknown[] = [];
  const downs: string[] = [];
  s.on('up', (c) => ups.push(c));
  s.on('down', (why) => downs.push(why));
  running = s;
  return { s, ups, downs };
}

let running: JanusSupervisor | undefined;
afterEach(async () => { await running?.stop(); running = undefined; });

describe('Janus supervisor', () => {
  it('start() resolves once Janus is up; stop() stops the process and leaves no timer', async () => {
    const before = timers();
    const rt = new FakeJanusRuntime();
    const { s, ups } = supervisor(rt);
    await s.start();
    expect(s.state).toBe('up');
    expect(ups).toEqual([rt.connections[0]!.client]);
    expect(s.current).toBe(rt.connections[0]!.client);
    await s.stop();
    expect(s.state).toBe('stopped');
    expect(rt.processes[0]!.stopped).toBe(true);
    expect(rt.connections[0]!.isClosed).toBe(true);
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it("handleInfo asks the current connection's Admin API, and refuses at once while Janus is not up", async () => {
    const rt = new FakeJanusRuntime();
    const { s } = supervisor(rt);
    await expect(s.handleInfo(1, 2)).rejects.toThrow(/Janus is stopped/);
    await s.start();
    await expect(s.handleInfo(11, 22)).resolves.toEqual({ session_id: 11, handle_id: 22 });
    rt.auto = undefined;
    rt.processes[0]!.die();
    await once(rt, 'connecting');
    await expect(s.handleInfo(11, 22)).rejects.toThrow(/Janus is starting/);
  });

  it('Janus dies and its successor dies while connect() is in flight: the late connection is closed, exactly one more `up`', async () => {
    const rt = new FakeJanusRuntime();
    const { s, ups, downs } = supervisor(rt);
    await s.start();
    rt.auto = undefined; // from now on the test answers each connect()
    rt.processes[0]!.die();
    await once(rt, 'connecting'); // process 1 spawned, its connect pending
    expect(s.state).toBe('starting');
    rt.processes[1]!.die('janus exited (code 1, signal null)');
    await rt.processes[1]!.exited;
    const late = rt.open();
    rt.connects.shift()!.resolve(late);
    await once(rt, 'connecting'); // process 2
    const good = rt.open();
    rt.connects.shift()!.resolve(good);
    await once(s, 'up');
    expect(late.isClosed).toBe(true);
    expect(ups).toEqual([rt.connections[0]!.client, good.client]);
    expect(downs).toHaveLength(1);
    expect(rt.processes).toHaveLength(3);
    expect(s.restarts).toBe(2);
    expect(s.current).toBe(good.client);
  });

  it('an Admin API that stops answering gets Janus killed and restarted, with the reason', async () => {
    const rt = new FakeJanusRuntime();
    const { s, downs } = supervisor(rt);
    await s.start();
    rt.connections[0]!.healthy = false;
    await once(s, 'up');
    expect(downs).toEqual(['Admin API did not answer 3 times']);
    expect(s.lastError).toBe('Admin API did not answer 3 times');
    expect(rt.connections[0]!.isClosed).toBe(true);
    expect(rt.processes).toHaveLength(2);
  });

  it('a lost API connection restarts Janus', async () => {
    const rt = new FakeJanusRuntime();
    const { s, downs } = supervisor(rt);
    await s.start();
    rt.connections[0]!.lose();
    await once(s, 'up');
    expect(downs).toEqual(['Janus API connection closed']);
  });

  it('start() rejects with why when the first Janus never answers; stop() then ends the loop', async () => {
    const before = timers();
    const rt = new FakeJanusRuntime();
    rt.auto = 'refuse';
    const { s, ups } = supervisor(rt, 40);
    await expect(s.start()).rejects.toThrow(/Janus did not start: Janus did not answer within 40 ms: connection refused/);
    await s.stop();
    expect(ups).toEqual([]);
    expect(rt.processes.length).toBeGreaterThan(0);
    expect(rt.processes.every((p) => p.dead)).toBe(true);
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it('stop() during the restart backoff ends the loop at once: no new process', async () => {
    const rt = new FakeJanusRuntime();
    const { s } = supervisor(rt);
    await s.start();
    rt.processes[0]!.die();
    await once(s, 'down');
    await s.stop();
    expect(rt.processes).toHaveLength(1);
    expect(s.state).toBe('stopped');
  });

  it('a hung Janus (Admin API silent, its session never closes): `down` and SIGKILL come at once, not after the close', async () => {
    const rt = new FakeJanusRuntime();
    const { s, downs } = supervisor(rt);
    await s.start();
    rt.connections[0]!.healthy = false;
    rt.connections[0]!.hangOnClose = true;
    await once(s, 'down');
    expect(downs).toEqual(['Admin API did not answer 3 times']);
    expect(rt.processes[0]!.dead).toBe(true);
    await once(s, 'up'); // and the next Janus comes up once the close gives up
    expect(rt.processes).toHaveLength(2);
  });

  it('stop() does not wait for a connect in flight', async () => {
    const rt = new FakeJanusRuntime();
    rt.auto = undefined; // connect() never answers
    const { s } = supervisor(rt, 60_000);
    const connecting = once(rt, 'connecting');
    const started = s.start().catch((err: Error) => err.message);
    await connecting;
    await s.stop();
    expect(await started).toBe('Janus did not start: start aborted');
    expect(rt.processes[0]!.stopped).toBe(true);
  });

  it('on fake timers: restarts wait the backoff of the failures in a row, capped, and from 500 ms again once Janus was up', async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(1); // no jitter: the longest delay of each step
    const waits: unknown[] = [];
    const spy = { info() {}, debug() {}, error() {}, warn(event: string, f?: LogFields) { if (event === 'janus.restarting') waits.push(f?.inMs); } } as unknown as Logger;
    const rt = new FakeJanusRuntime();
    const s = new JanusSupervisor(loadConfig({}), spy, rt, { startTimeoutMs: 100, healthIntervalMs: 3_600_000, maxBackoffMs: 1500, closeTimeoutMs: 20 });
    running = s;
    try {
      await s.start();
      rt.auto = 'refuse';
      rt.processes[0]!.die();
      await vi.advanceTimersByTimeAsync(499);
      expect([rt.processes.length, s.state]).toEqual([1, 'down']);
      await vi.advanceTimersByTimeAsync(1);
      expect(rt.processes).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(100 + 1000 + 100); // refused until the start timeout, twice
      expect([waits, s.lastError]).toEqual([[500, 1000, 1500], 'Janus did not answer within 100 ms: connection refused']);
      rt.auto = 'open';
      await vi.advanceTimersByTimeAsync(1500);
      expect([s.state, rt.processes.length]).toEqual(['up', 4]);
      rt.processes[3]!.die();
      await vi.advanceTimersByTimeAsync(500);
      expect([waits.at(-1), s.state, rt.processes.length]).toEqual([500, 'up', 5]);
      await s.stop();
    } finally {
      vi.useRealTimers();
      vi.restoreAllMocks();
    }
  });
});
