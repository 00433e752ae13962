/** The demo source's state machine behind its one boundary, the gst-launch-1.0 child, faked; on fake timers. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import { Logger, setLogLevel } from '../../../relay/log.ts';

/** What TestSource and stopChild use of a ChildProcess. */
class FakeChild extends EventEmitter {
  static made: FakeChild[] = [];
  pid = 1000 + FakeChild.made.length;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly stderr = Object.assign(new EventEmitter(), { setEncoding() { return this; } });
  readonly signals: string[] = [];
  constructor() { super(); FakeChild.made.push(this); }
  kill(signal: NodeJS.Signals): boolean {
    this.signals.push(signal);
    queueMicrotask(() => this.exit(null, signal));
    return true;
  }
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    [this.exitCode, this.signalCode] = [code, signal];
    this.emit('exit', code, signal);
  }
}

vi.mock('node:child_process', () => ({ spawn: vi.fn(() => new FakeChild()) }));
const { TestSource } = await import('../../../relay/sources/test-source.ts');

setLogLevel('error');

describe('TestSource', () => {
  let lastMediaAt = 0;
  const source = () => new TestSource({ ports: { video: 5000, audio: 5002 }, kbps: 500, pattern: 'ball', size: '640x360', codec: 'vp8',
    lastMediaAt: () => lastMediaAt }, new Logger({ test: 'test-source' }));

  beforeEach(() => { vi.useFakeTimers(); FakeChild.made = []; lastMediaAt = 0; });
  afterEach(() => { vi.useRealTimers(); });

  it('starting → running once its RTP reaches the tee; a crash fails it with what it said, then it restarts after the backoff', async () => {
    const s = source();
    const seen: string[] = [];
    s.on('state', (to) => seen.push(to));
    s.start();
    expect([s.state, FakeChild.made.length]).toEqual(['starting', 1]);
    lastMediaAt = Date.now();
    await vi.advanceTimersByTimeAsync(200);
    expect(s.state).toBe('running');
    FakeChild.made[0]!.stderr.emit('data', 'ERROR: pipeline broke\n');
    FakeChild.made[0]!.exit(1);
    expect([s.state, s.lastError, s.restarts]).toEqual(['failed', 'ERROR: pipeline broke', 1]);
    await vi.advanceTimersByTimeAsync(500); // the first restart comes within 250 to 500 ms
    expect([FakeChild.made.length, s.state]).toEqual([2, 'starting']);
    expect(seen).toEqual(['starting', 'running', 'failed', 'starting']);
    await s.close();
  });

  it('crashes in a row wait longer each time; once its media flowed again, the next crash restarts quickly', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(1); // no jitter: the longest delay of each step
    const s = source();
    s.start();
    const crash = () => FakeChild.made.at(-1)!.exit(1);
    crash();
    await vi.advanceTimersByTimeAsync(500);
    crash();
    await vi.advanceTimersByTimeAsync(999);
    expect(FakeChild.made.length).toBe(2); // the second restart waits 1 s
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeChild.made.length).toBe(3);
    lastMediaAt = Date.now();
    await vi.advanceTimersByTimeAsync(200);
    expect(s.state).toBe('running');
    crash();
    await vi.advanceTimersByTimeAsync(500);
    expect([FakeChild.made.length, s.state, s.restarts]).toEqual([4, 'starting', 3]);
    vi.restoreAllMocks();
    await s.close();
  });

  it('a child that cannot spawn (error, then exit) fails once; a stale exit after the restart is ignored', async () => {
    const s = source();
    s.start();
    const first = FakeChild.made[0]!;
    first.emit('error', new Error('ENOENT'));
    first.exit(-2);
    expect([s.state, s.restarts, s.lastError]).toEqual(['failed', 1, 'cannot run gst-launch-1.0: ENOENT']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect([s.state, FakeChild.made.length]).toEqual(['starting', 2]);
    first.exit(0);
    expect([s.state, s.restarts]).toEqual(['starting', 1]);
    await s.close();
  });

  it('close() stops the child and drops a pending restart', async () => {
    const s = source();
    s.start();
    FakeChild.made[0]!.exit(1);
    expect(s.state).toBe('failed');
    await s.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect([s.state, FakeChild.made.length]).toEqual(['stopped', 1]);
    s.start();
    const child = FakeChild.made[1]!;
    await s.close();
    expect([s.state, child.signals, s.restarts]).toEqual(['stopped', ['SIGTERM'], 1]);
  });
});
