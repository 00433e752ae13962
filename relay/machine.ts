/**
 * The one shape of the relay's supervised state machines (a pull, a push, the demo source, Janus, HLS, RTMP, a
 * recording). Each holds a Machine and delegates to it, so its public fields and events stay its own while the
 * parts that must behave alike live once:
 *
 * - the state, `info`, `lastError` and `since`, and the transition: one `<kind>.state` log line
 *   `{from, to, [info|reason], ...extra}`, then `onChange` (where the owner emits its event);
 * - the stale-callback guard: every attempt (a connection, a child process) takes `next()`, and a callback of
 *   that attempt acts only while `current(id)`, so a late exit or close of a dead attempt never touches the live one;
 * - the retry: THE backoff (`retryDelayMs`) over the failures in a row, reset by `succeeded()`, with at most one
 *   retry pending, which `cancelRetry()` drops.
 */
import type { LogFields, Logger } from './log.ts';
import { retryDelayMs } from './backoff.ts';

export interface MachineOptions<S extends string> {
  initial: S;
  log: Logger;
  /** `<kind>.state`: the name logs, tests and scripts grep for. */
  event: string;
  /** The field the transition's `info` is logged under, if the machine logs it. */
  infoField?: 'info' | 'reason';
  /** Fields the machine adds to its transition line, read when it happens. */
  extra?: () => LogFields;
  /** Whether the same state with a new `info` is a transition too (a pull FAILED again for another reason). */
  newInfoIsTransition?: boolean;
  /** States in which no attempt's callback is current any more (terminated, stopped). */
  ended?: readonly S[];
  /** The backoff's cap for this machine's retries; a machine without one never retries (a recording). */
  retryCapMs?: number;
  onChange?: (to: S, from: S) => void;
  random?: () => number;
}

export class Machine<S extends string> {
  state: S;
  info = '';
  lastError: string | null = null;
  since = Date.now();
  private id = 0;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: MachineOptions<S>) {
    this.state = o.initial;
  }

  /** Moves to `to`; false (and nothing logged) when that is no change. */
  to(to: S, info = ''): boolean {
    const from = this.state;
    if (from === to && (!this.o.newInfoIsTransition || this.info === info)) return false;
    this.state = to;
    this.info = info;
    this.since = Date.now();
    const fields: LogFields = { from, to };
    if (this.o.infoField) fields[this.o.infoField] = info;
    this.o.log.info(this.o.event, { ...fields, ...this.o.extra?.() });
    this.o.onChange?.(to, from);
    return true;
  }

  /** A new attempt: whatever an earlier one still emits is stale from now on. */
  next(): number { return ++this.id; }

  /** The latest attempt's id. */
  get generation(): number { return this.id; }

  /** Whether attempt `id` is the live one (and the machine has not ended). */
  current(id: number): boolean {
    return id === this.id && !(this.o.ended ?? []).includes(this.state);
  }

  /** `fn` for attempt `id`'s callbacks: it does nothing once that attempt is stale. */
  guard<A extends unknown[]>(id: number, fn: (...args: A) => void): (...args: A) => void {
    return (...args) => { if (this.current(id)) fn(...args); };
  }

  get failuresInARow(): number { return this.failures; }

  /** One more failure in a row; the delay before the retry it calls for. */
  failed(): number {
    if (this.o.retryCapMs === undefined) throw new Error(`${this.o.event}: this machine has no retry cap, so it does not retry`);
    this.failures += 1;
    return retryDelayMs(this.failures, this.o.retryCapMs, this.o.random);
  }

  /** One more failure in a row, and `run` after the backoff (replacing a retry still pending); returns the delay. */
  retry(run: () => void): number {
    const wait = this.failed();
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => { this.retryTimer = undefined; run(); }, wait);
    return wait;
  }

  /** The next failure waits the shortest delay again. */
  succeeded(): void { this.failures = 0; }

  cancelRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}
