/**
 * The Janus boundary of the supervisor, faked: processes that exit when told, connections that open,
 * fail or stall when told. Everything it hands out is recorded, so a test can check nothing is left open.
 */
import { EventEmitter } from 'node:events';
import type { JanusClient } from '../../../relay/janus/client.ts';
import type { JanusConnection, JanusProcess, JanusRuntime } from '../../../relay/janus/runtime.ts';

interface Deferred<T> { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void }
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

export class FakeProcess implements JanusProcess {
  private readonly exit = deferred<string>();
  readonly exited = this.exit.promise;
  stopped = false;
  dead = false;
  constructor(readonly pid: number) {}
  die(why = `janus exited (code null, signal SIGKILL)`): void { this.dead = true; this.exit.resolve(why); }
  kill(): void { this.die(); }
  async stop(): Promise<void> { this.stopped = true; this.die('janus exited (code 0, signal null)'); }
}

export class FakeConnection implements JanusConnection {
  readonly client = { fake: true } as unknown as JanusClient;
  private readonly closing = deferred<void>();
  readonly closed = this.closing.promise;
  isClosed = false;
  healthy = true;
  /** A hung Janus: closing its API session never finishes. */
  hangOnClose = false;
  async ping(): Promise<void> { if (!this.healthy) throw new Error('admin silent'); }
  async inventory() { return { sessions: 1, mountpoints: 0 }; }
  async handleInfo(sessionId: number, handleId: number) { return { session_id: sessionId, handle_id: handleId }; }
  lose(): void { this.closing.resolve(); }
  async close(): Promise<void> {
    this.isClosed = true;
    if (this.hangOnClose) return new Promise<void>(() => undefined);
    this.closing.resolve();
  }
}

export class FakeJanusRuntime extends EventEmitter<{ connecting: []; spawned: [FakeProcess] }> implements JanusRuntime {
  readonly apiUrl = 'ws://fake';
  readonly processes: FakeProcess[] = [];
  readonly connections: FakeConnection[] = [];
  /** Pending connect() calls, oldest first: the test settles them. */
  readonly connects: Deferred<FakeConnection>[] = [];
  /** When set, connect() settles by itself this way. */
  auto: 'open' | 'refuse' | undefined = 'open';

  spawn(): JanusProcess {
    const p = new FakeProcess(1000 + this.processes.length);
    this.processes.push(p);
    this.emit('spawned', p);
    return p;
  }

  connect(): Promise<JanusConnection> {
    if (this.auto === 'refuse') return Promise.reject(new Error('connection refused'));
    if (this.auto === 'open') return Promise.resolve(this.open());
    const d = deferred<FakeConnection>();
    this.connects.push(d);
    this.emit('connecting');
    return d.promise;
  }

  open(): FakeConnection {
    const c = new FakeConnection();
    this.connections.push(c);
    return c;
  }
}
