/**
 * Keeps one Janus up: one loop, one generation at a time. Each turn spawns Janus (unless it is
 * external), connects within START_TIMEOUT_MS, reports `up`, watches it (process exit, API connection
 * lost, Admin API silent HEALTH_FAILURES_BEFORE_RESTART times), tears it down, reports `down`, waits a
 * backoff and goes round again. `stop()` ends the loop; events of an older generation are never acted on.
 *
 *   stopped → starting → up → down → starting → …      any → stopping → stopped
 *
 * `start()` resolves when Janus is first up and rejects with why if that first turn fails; consumers
 * listen for `up` (a fresh client: re-create what you had) and `down` (every handle is gone).
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { Machine } from '../machine.ts';
import { JanusUnavailableError, type JanusApi, type JanusClient } from './client.ts';
import { externalJanus, spawnedJanus, type JanusConnection, type JanusProcess, type JanusRuntime } from './runtime.ts';

export type JanusState = 'stopped' | 'starting' | 'up' | 'down' | 'stopping';

export interface SupervisorEvents {
  up: [JanusClient];
  down: [reason: string];
}

/** What streams and their outputs need of the supervisor: whether Janus is up, its client, the Streaming admin key. */
export type JanusAccess = Pick<JanusSupervisor, 'state' | 'current' | 'streamingAdminKey'>;

export interface SupervisorTimings { startTimeoutMs: number; healthIntervalMs: number; maxBackoffMs: number; closeTimeoutMs: number }

const START_TIMEOUT_MS = 10_000;
const MAX_BACKOFF_MS = 5_000;
const CONNECT_RETRY_MS = 50;
const HEALTH_FAILURES_BEFORE_RESTART = 3;
const CLOSE_TIMEOUT_MS = 2_000;

/** Resolves after `ms`, or at once when `signal` aborts. */
const pause = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const timer = setTimeout(done, ms);
  function done() { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); }
  signal.addEventListener('abort', done);
});

/** Waits for `work` at most `ms`, leaving no timer behind. */
async function withTimeout(work: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!work) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => undefined), new Promise((resolve) => { timer = setTimeout(resolve, ms); })]);
  clearTimeout(timer);
}

export class JanusSupervisor extends EventEmitter<SupervisorEvents> {
  restarts = 0;
  pid: number | undefined;
  /** Key the Streaming plugin requires for create/destroy; the viewer proxy never sends it. */
  readonly streamingAdminKey: string;
  private readonly adminSecret: string;
  private connection: JanusConnection | undefined;
  /** Its retries wait on `pause` (stop() aborts it), so only its failure count is the Machine's. */
  private readonly m: Machine<JanusState>;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private workDir: string | undefined;

  constructor(private readonly config: Config, private readonly log: Logger, private runtime?: JanusRuntime,
    private readonly timings: SupervisorTimings = {
      startTimeoutMs: START_TIMEOUT_MS, healthIntervalMs: config.janusHealthIntervalMs, maxBackoffMs: MAX_BACKOFF_MS,
      closeTimeoutMs: CLOSE_TIMEOUT_MS,
    }) {
    super();
    this.m = new Machine<JanusState>({
      initial: 'stopped', log, event: 'janus.state', retryCapMs: timings.maxBackoffMs,
      extra: () => ({ pid: this.pid, generation: this.m.generation }),
    });
    this.adminSecret = config.janusAdminSecret || randomBytes(12).toString('hex');
    this.streamingAdminKey = config.janusStreamingAdminKey || randomBytes(12).toString('hex');
  }

  get state(): JanusState { return this.m.state; }
  get lastError(): string { return this.m.lastError ?? ''; }

  get apiUrl(): string { return this.config.janusUrl || `ws://127.0.0.1:${this.config.janusApiPort}`; }

  get current(): JanusApi {
    if (this.state !== 'up' || !this.connection) throw new JanusUnavailableError(`Janus is ${this.state}`);
    return this.connection.client;
  }

  async start(): Promise<void> {
    if (this.loop) throw new Error('the Janus supervisor is already running');
    this.runtime ??= this.defaultRuntime();
    const gen = this.m.next();
    this.abort = new AbortController();
    await new Promise<void>((resolve, reject) => {
      this.loop = this.run(gen, this.abort.signal, { resolve, reject });
    });
  }

  private defaultRuntime(): JanusRuntime {
    const secrets = { adminSecret: this.adminSecret, streamingAdminKey: this.streamingAdminKey };
    if (this.config.janusUrl) return externalJanus(this.config, secrets);
    this.workDir = this.config.workDir || mkdtempSync(join(tmpdir(), 'siphon-janus-'));
    return spawnedJanus(this.config, this.workDir, secrets, this.log);
  }

  private async run(gen: number, signal: AbortSignal, first: { resolve: () => void; reject: (e: Error) => void } | undefined)
    : Promise<void> {
    this.m.succeeded(); // each loop counts its failures from none
    while (!signal.aborted && this.m.current(gen)) {
      this.setState('starting');
      let proc: JanusProcess | undefined;
      let reason: string;
      let wasUp = false;
      try {
        proc = this.runtime!.spawn();
        this.pid = proc?.pid;
        const conn = await this.connectWithin(proc, signal);
        this.connection = conn;
        this.setState('up');
        wasUp = true;
        this.m.succeeded();
        this.emit('up', conn.client);
        first?.resolve();
        first = undefined;
        reason = await this.watch(conn, proc, signal);
      } catch (err) {
        reason = (err as Error).message;
        this.log.error('janus.start_failed', { err, pid: this.pid });
        first?.reject(new JanusUnavailableError(`Janus did not start: ${reason}`));
        first = undefined;
      }
      if (!signal.aborted) {
        this.m.lastError = reason;
        this.setState('down');
        if (wasUp) this.emit('down', reason); // before the teardown: clients hear it now, whatever Janus does
      }
      await this.teardown(proc, signal.aborted ? 'stopping' : 'down');
      if (signal.aborted) return;
      this.restarts += 1;
      const wait = this.m.failed();
      this.log.warn('janus.restarting', { inMs: wait, restarts: this.restarts, reason });
      await pause(wait, signal);
    }
  }

  /** Connects within the start timeout; fails at once if the process exits or the loop is stopped first. */
  private async connectWithin(proc: JanusProcess | undefined, signal: AbortSignal): Promise<JanusConnection> {
    const deadline = Date.now() + this.timings.startTimeoutMs;
    let exited: string | undefined;
    void proc?.exited.then((why) => { exited = why; });
    let lastErr: unknown;
    while (Date.now() < deadline) {
      if (signal.aborted) throw new JanusUnavailableError('start aborted');
      if (exited) throw new JanusUnavailableError(exited);
      try {
        const attempt = this.runtime!.connect();
        // A connect can take seconds (janode retries): stop() and the deadline do not wait for it.
        const conn = await Promise.race([attempt, pause(deadline - Date.now(), signal).then(() => undefined)]);
        if (conn && !signal.aborted && !exited) return conn;
        void attempt.then((late) => late.close(), () => undefined); // Janus died, we stopped, or it came too late
        if (!conn) {
          if (signal.aborted) throw new JanusUnavailableError('start aborted');
          break;
        }
      } catch (err) {
        lastErr = err;
        await pause(CONNECT_RETRY_MS, signal);
      }
    }
    throw new JanusUnavailableError(`Janus did not answer within ${this.timings.startTimeoutMs} ms: ${(lastErr as Error | undefined)?.message ?? 'no answer'}`);
  }

  /** Resolves with why this Janus is no longer usable. */
  private watch(conn: JanusConnection, proc: JanusProcess | undefined, signal: AbortSignal): Promise<string> {
    return new Promise((resolve) => {
      let failures = 0;
      let done = false;
      const timer = setInterval(() => {
        conn.ping(Math.max(500, this.timings.healthIntervalMs / 2)).then(() => { failures = 0; }, (err: Error) => {
          failures += 1;
          this.log.warn('janus.health_failed', { failures, err });
          if (failures >= HEALTH_FAILURES_BEFORE_RESTART) finish(`Admin API did not answer ${failures} times`);
        });
      }, this.timings.healthIntervalMs);
      const finish = (why: string) => {
        if (done) return;
        done = true;
        clearInterval(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(why);
      };
      const onAbort = () => finish('stopping');
      signal.addEventListener('abort', onAbort);
      void conn.closed.then(() => finish('Janus API connection closed'));
      void proc?.exited.then((why) => {
        if (!done) this.log.error('janus.exited', { why });
        finish(why);
      });
    });
  }

  /**
   * Ends this generation's Janus. A failed one is killed first: closing the API session of a hung Janus
   * waits for janode's keep-alive, and clients must hear `down` now, not in half a minute.
   */
  private async teardown(proc: JanusProcess | undefined, state: JanusState): Promise<void> {
    this.setState(state);
    const conn = this.connection;
    this.connection = undefined;
    if (proc && state !== 'stopping') proc.kill();
    await withTimeout(conn?.close(), this.timings.closeTimeoutMs);
    if (proc) {
      if (state === 'stopping') await proc.stop();
      else await proc.exited;
    }
    this.pid = undefined;
  }

  async stop(): Promise<void> {
    if (!this.loop) return;
    this.abort.abort();
    await this.loop;
    this.loop = undefined;
    if (this.workDir && !this.config.workDir) rmSync(this.workDir, { recursive: true, force: true });
    this.setState('stopped');
  }

  /** The Admin API's handle_info of one handle (a pull's leg statistics); rejects while Janus is not up. */
  async handleInfo(sessionId: number, handleId: number): Promise<Record<string, unknown>> {
    if (this.state !== 'up' || !this.connection) throw new JanusUnavailableError(`Janus is ${this.state}`);
    return this.connection.handleInfo(sessionId, handleId);
  }

  /** Janus's own view of what it holds (sessions, mountpoints), for /metrics; empty while it is down. */
  async inventory(): Promise<{ sessions?: number; mountpoints?: number; handles?: number }> {
    return this.state === 'up' && this.connection ? this.connection.inventory() : {};
  }

  private setState(state: JanusState): void { this.m.to(state); }
}
