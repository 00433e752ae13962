/**
 * The relay's lifecycle notifications to the operator's URL (docs/api/webhooks.md). Emitting never waits and never
 * throws: an event is numbered, queued and the caller goes on, so media never waits on a receiver. Delivery keeps
 * each stream's order (one event of a stream in flight at a time, its next only after it), retries a timeout, an
 * unreachable receiver, 408, 429 and 5xx with THE backoff, and gives up on any other answer. Nothing is dropped
 * silently: an event given up on, or refused by a full queue, is one `webhook.dropped` warning and one count in
 * `siphon_webhooks_total{result="dropped"}` — and a gap in that stream's `seq` for the receiver.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.ts';
import { retryDelayMs } from '../backoff.ts';
import type { WebhookBody, WebhookData, WebhookType } from './webhook-events.ts';
import type { PostWebhook } from './webhook-post.ts';
import { sign } from './signature.ts';

export interface WebhooksOptions {
  /** Empty: webhooks are off, and emitting does nothing. */
  url: string;
  key: Buffer;
  nodeId: string;
  /** The types sent; every type when undefined. */
  types?: ReadonlySet<WebhookType>;
  log: Logger;
  post: PostWebhook;
  /** Events waiting (all streams), beyond which a new one is dropped. */
  queueMax?: number;
  /** Attempts of one event, the first included. */
  maxAttempts?: number;
  retryCapMs?: number;
  /** POSTs in flight at once (all streams). */
  concurrency?: number;
  random?: () => number;
}

export interface WebhookCounts { delivered: number; retried: number; dropped: number }

const QUEUE_MAX = 10_000;
/** About three minutes of retries (0.5, 1, 2 … 60 s, with jitter) before an event is given up. */
const MAX_ATTEMPTS = 10;
const RETRY_CAP_MS = 60_000;
const CONCURRENCY = 8;
/** Stream names whose count is kept; the least recently used one beyond starts again at 1. */
const MAX_COUNTERS = 100_000;
/** How long close() lets the queue drain before it drops what is left. */
const CLOSE_GRACE_MS = 5000;

type Failure = { retry: boolean; reason: string };

export class Webhooks {
  readonly counts: WebhookCounts = { delivered: 0, retried: 0, dropped: 0 };
  /** Per stream ('' for stream-less events): the events waiting, the first one being delivered. */
  private readonly lanes = new Map<string, WebhookBody[]>();
  private readonly seqs = new Map<string, number>();
  private queued = 0;
  private inFlight = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly sleepers = new Set<() => void>();
  private readonly drainWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly o: WebhooksOptions) {}

  get enabled(): boolean { return this.o.url !== ''; }

  /** Events not yet delivered or dropped. */
  get waiting(): number { return this.queued; }

  emit<T extends WebhookType>(type: T, stream: string | null, data: WebhookData[T]): void {
    if (!this.enabled || (this.o.types && !this.o.types.has(type))) return;
    const body: WebhookBody<T> = { type, id: `msg_${randomUUID()}`, timestamp: new Date().toISOString(), nodeId: this.o.nodeId, stream, seq: this.nextSeq(stream ?? ''), data };
    if (this.stopped) return this.drop(body, 'the relay has stopped');
    const max = this.o.queueMax ?? QUEUE_MAX;
    if (this.queued >= max) return this.drop(body, `queue full (${max} events waiting)`);
    this.queued += 1;
    const key = stream ?? '';
    const lane = this.lanes.get(key);
    if (lane) { lane.push(body); return; }
    this.lanes.set(key, [body]);
    void this.run(key);
  }

  /** Lets what is queued go out for a while (the relay's last events: streams ending), then drops the rest. */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    if (this.queued > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.drained(), new Promise<void>((r) => { timer = setTimeout(r, graceMs); })]);
      clearTimeout(timer);
    }
    this.stopped = true;
    for (const wake of [...this.sleepers]) wake();
    await this.drained();
  }

  private nextSeq(key: string): number {
    const seq = (this.seqs.get(key) ?? 0) + 1;
    this.seqs.delete(key);
    this.seqs.set(key, seq);
    if (this.seqs.size > MAX_COUNTERS) this.seqs.delete(this.seqs.keys().next().value!);
    return seq;
  }

  /** Delivers a stream's events one after the other, in the order emitted. */
  private async run(key: string): Promise<void> {
    const lane = this.lanes.get(key)!;
    while (lane.length > 0) {
      await this.deliver(lane[0]!);
      lane.shift();
      this.queued -= 1;
    }
    this.lanes.delete(key);
    if (this.queued === 0) for (const done of this.drainWaiters.splice(0)) done();
  }

  private async deliver(body: WebhookBody): Promise<void> {
    const text = JSON.stringify(body);
    const maxAttempts = this.o.maxAttempts ?? MAX_ATTEMPTS;
    for (let attempt = 1; ; attempt += 1) {
      if (this.stopped) return this.drop(body, 'the relay stopped before it was delivered');
      const failure = await this.attempt(body.id, text);
      if (!failure) { this.counts.delivered += 1; return; }
      if (!failure.retry) return this.drop(body, failure.reason);
      if (attempt >= maxAttempts) return this.drop(body, `gave up after ${attempt} attempts: ${failure.reason}`);
      this.counts.retried += 1;
      const waitMs = retryDelayMs(attempt, this.o.retryCapMs ?? RETRY_CAP_MS, this.o.random);
      this.o.log.debug('webhook.retry', { type: body.type, stream: body.stream, seq: body.seq, attempt, reason: failure.reason, waitMs });
      await this.sleep(waitMs);
    }
  }

  /** One POST; undefined when the receiver took it. */
  private async attempt(id: string, text: string): Promise<Failure | undefined> {
    await this.slot();
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json', 'user-agent': 'Siphon-Webhooks',
      'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': sign(this.o.key, id, timestamp, text),
    };
    try {
      const status = await this.o.post({ url: this.o.url, headers, body: text });
      if (status >= 200 && status < 300) return undefined;
      const retry = status === 408 || status === 429 || status >= 500;
      return { retry, reason: `HTTP ${status}${retry ? '' : ' (not retried)'}` };
    } catch (err) {
      return { retry: true, reason: (err as Error).message };
    } finally {
      this.freeSlot();
    }
  }

  private drop(body: WebhookBody, reason: string): void {
    this.counts.dropped += 1;
    this.o.log.warn('webhook.dropped', { type: body.type, stream: body.stream, seq: body.seq, id: body.id, reason });
  }

  private slot(): Promise<void> {
    if (this.inFlight < (this.o.concurrency ?? CONCURRENCY)) {
      this.inFlight += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  /** The slot passes to the next waiting POST, if any. */
  private freeSlot(): void {
    const next = this.slotWaiters.shift();
    if (next) next(); else this.inFlight -= 1;
  }

  /** A retry's wait, cut short by close(). */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => { clearTimeout(timer); this.sleepers.delete(wake); resolve(); };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private drained(): Promise<void> {
    return this.queued === 0 ? Promise.resolve() : new Promise((resolve) => this.drainWaiters.push(resolve));
  }
}
