/**
 * The webhook sender behind its one boundary, the POST: signing (the Standard Webhooks spec's own example, and every
 * request verifying), seq per stream, order per stream through retries, THE backoff, what is not retried, and that
 * nothing is dropped without a warning and a count.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Logger } from '../../../relay/log.ts';
import { Webhooks, type WebhooksOptions } from '../../../relay/webhooks/webhooks.ts';
import { sign, signingKey } from '../../../relay/webhooks/signature.ts';
import type { WebhookBody } from '../../../relay/webhooks/webhook-events.ts';
import type { WebhookRequest } from '../../../relay/webhooks/webhook-post.ts';
import { webhooksFrom } from '../../../relay/webhooks/webhook-settings.ts';
import { ConfigError, loadConfig } from '../../../relay/config.ts';
import { retryDelayMs } from '../../../relay/backoff.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const KEY = signingKey(SECRET) as Buffer;

/** The receiver: answers each POST with what `answer` says (a status, or an error thrown as unreachable). */
function receiver(answer: (req: WebhookRequest, body: WebhookBody) => number | Error = () => 204) {
  const got: { req: WebhookRequest; body: WebhookBody; at: number }[] = [];
  const post = vi.fn(async (req: WebhookRequest) => {
    const body = JSON.parse(req.body) as WebhookBody;
    got.push({ req, body, at: Date.now() });
    const a = answer(req, body);
    if (a instanceof Error) throw a;
    return a;
  });
  return { got, post };
}

function logged() {
  const lines: { event: string; fields: Record<string, unknown> }[] = [];
  const log = new Logger();
  vi.spyOn(log, 'warn').mockImplementation((event, fields = {}) => { lines.push({ event, fields }); });
  return { log, lines };
}

const make = (post: WebhooksOptions['post'], o: Partial<WebhooksOptions> = {}) =>
  new Webhooks({ url: 'https://ops.example/hooks', key: KEY, nodeId: 'relay-1@10.0.0.1', log: new Logger(), post, random: () => 1, ...o });

const published = (w: Webhooks, stream: string) => w.emit('stream.published', stream, { mediaSessionId: 'm', origin: 'publish', video: 'VP8', audio: 'opus' });

/** What an off-the-shelf Standard Webhooks verifier checks. */
function verifies(req: WebhookRequest): boolean {
  const expected = createHmac('sha256', KEY).update(`${req.headers['webhook-id']}.${req.headers['webhook-timestamp']}.${req.body}`).digest();
  return req.headers['webhook-signature']!.split(' ').some((s) => s.startsWith('v1,') && timingSafeEqual(Buffer.from(s.slice(3), 'base64'), expected));
}

describe('webhook signing', () => {
  it('gives the Standard Webhooks specification\'s example signature', () => {
    expect(sign(KEY, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('takes only a whsec_ secret of at least 24 bytes', () => {
    expect(signingKey('hunter2')).toMatch(/whsec_/);
    expect(signingKey('whsec_not base64!')).toMatch(/base64/);
    expect(signingKey(`whsec_${Buffer.alloc(16).toString('base64')}`)).toMatch(/24 bytes/);
    expect(signingKey(`whsec_${Buffer.alloc(32, 7).toString('base64')}`)).toEqual(Buffer.alloc(32, 7));
  });
});

describe('webhook settings', () => {
  const log = new Logger();
  it('refuse a URL without a secret, saying how to make one', () => {
    expect(() => webhooksFrom(loadConfig({ SIPHON_WEBHOOK_URL: 'https://ops.example/h' }), log, 'n'))
      .toThrow(new ConfigError('SIPHON_WEBHOOK_URL is set but SIPHON_WEBHOOK_SECRET is not: webhooks are always signed; make one with: echo "whsec_$(openssl rand -base64 32)"'));
  });

  it('refuse a bad secret, a non-http URL and unknown event types', () => {
    expect(() => webhooksFrom(loadConfig({ SIPHON_WEBHOOK_URL: 'https://o/h', SIPHON_WEBHOOK_SECRET: 'plain' }), log, 'n')).toThrow(/SIPHON_WEBHOOK_SECRET: must start with whsec_/);
    expect(() => webhooksFrom(loadConfig({ SIPHON_WEBHOOK_URL: 'ftp://o/h', SIPHON_WEBHOOK_SECRET: SECRET }), log, 'n')).toThrow(/not an http/);
    expect(() => webhooksFrom(loadConfig({ SIPHON_WEBHOOK_URL: 'https://u:pw@o/h', SIPHON_WEBHOOK_SECRET: SECRET }), log, 'n')).toThrow(/user or password in it is refused/);
    expect(() => webhooksFrom(loadConfig({ SIPHON_WEBHOOK_URL: 'https://o/h', SIPHON_WEBHOOK_SECRET: SECRET, SIPHON_WEBHOOK_EVENTS: 'play.started,play.paused' }), log, 'n'))
      .toThrow(/unknown play\.paused/);
  });

  it('are off without a URL', () => {
    expect(webhooksFrom(loadConfig({}), log, 'n').enabled).toBe(false);
  });
});

describe('webhook delivery', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); vi.restoreAllMocks(); });

  it('POSTs the event, signed so a verifier accepts it, with the body receivers read', async () => {
    vi.setSystemTime(new Date('2026-01-02T03:04:05.678Z'));
    const { got, post } = receiver();
    const w = make(post);
    w.emit('play.stopped', 'cam', { protocol: 'whep', sessionId: 's1', bytes: 1234, durationMs: 5000, reason: 'Stopped by WHEP DELETE' });
    await vi.runAllTimersAsync();
    expect(got).toHaveLength(1);
    const { req, body } = got[0]!;
    expect(req.url).toBe('https://ops.example/hooks');
    expect(req.headers).toMatchObject({ 'content-type': 'application/json', 'webhook-id': body.id, 'webhook-timestamp': '1767323045' });
    expect(verifies(req)).toBe(true);
    expect(body).toEqual({ type: 'play.stopped', id: expect.stringMatching(/^msg_/), timestamp: '2026-01-02T03:04:05.678Z', nodeId: 'relay-1@10.0.0.1',
      stream: 'cam', seq: 1, data: { protocol: 'whep', sessionId: 's1', bytes: 1234, durationMs: 5000, reason: 'Stopped by WHEP DELETE' } });
    expect(w.counts).toEqual({ delivered: 1, retried: 0, dropped: 0 });
  });

  it('numbers events 1, 2, 3… per stream name, stream-less ones on their own', async () => {
    const { got, post } = receiver();
    const w = make(post);
    published(w, 'a'); published(w, 'b'); published(w, 'a');
    w.emit('access.denied', null, { action: 'connect', protocol: 'wcs', status: 401, reason: 'no', client: '10.1.1.1' });
    published(w, 'a');
    await vi.runAllTimersAsync();
    const seqs = (s: string | null) => got.filter((g) => g.body.stream === s).map((g) => g.body.seq);
    expect(seqs('a')).toEqual([1, 2, 3]);
    expect(seqs('b')).toEqual([1]);
    expect(seqs(null)).toEqual([1]);
  });

  it('retries 5xx, 408, 429 and an unreachable receiver with THE backoff, re-signed with a fresh timestamp, same id', async () => {
    const answers: (number | Error)[] = [503, new Error('fetch failed: ECONNREFUSED'), 408, 429, 200];
    const { got, post } = receiver(() => answers.shift()!);
    const w = make(post);
    published(w, 'cam');
    await vi.runAllTimersAsync();
    expect(got).toHaveLength(5);
    expect(new Set(got.map((g) => g.body.id)).size).toBe(1);
    expect(got.every((g) => verifies(g.req))).toBe(true);
    const waits = got.slice(1).map((g, i) => g.at - got[i]!.at);
    expect(waits).toEqual([1, 2, 3, 4].map((a) => retryDelayMs(a, 60_000, () => 1)));
    expect(got.at(-1)!.req.headers['webhook-timestamp']).not.toBe(got[0]!.req.headers['webhook-timestamp']);
    expect(w.counts).toEqual({ delivered: 1, retried: 4, dropped: 0 });
  });

  it('keeps a stream\'s order while its first event is retried, and other streams do not wait for it', async () => {
    let failures = 2;
    const { got, post } = receiver((_, body) => (body.stream === 'slow' && body.seq === 1 && failures-- > 0 ? 500 : 200));
    const w = make(post);
    published(w, 'slow');
    w.emit('play.started', 'slow', { protocol: 'wcs', sessionId: 'p' });
    published(w, 'fast');
    await vi.advanceTimersByTimeAsync(0);
    expect(got.map((g) => `${g.body.stream}#${g.body.seq}`)).toEqual(['slow#1', 'fast#1']);
    await vi.runAllTimersAsync();
    const delivered = got.filter((g) => g.body.stream === 'slow').map((g) => g.body.seq);
    expect(delivered).toEqual([1, 1, 1, 2]);
  });

  it('does not retry another 4xx: the event is dropped, logged and counted', async () => {
    const { got, post } = receiver(() => 400);
    const { log, lines } = logged();
    const w = make(post, { log });
    published(w, 'cam');
    await vi.runAllTimersAsync();
    expect(got).toHaveLength(1);
    expect(lines).toEqual([{ event: 'webhook.dropped', fields: { type: 'stream.published', stream: 'cam', seq: 1, id: got[0]!.body.id, reason: 'HTTP 400 (not retried)' } }]);
    expect(w.counts).toEqual({ delivered: 0, retried: 0, dropped: 1 });
  });

  it('gives up after its attempts, with one warning naming the event and the last reason', async () => {
    const { got, post } = receiver(() => new Error('no answer within 5000 ms'));
    const { log, lines } = logged();
    const w = make(post, { log, maxAttempts: 3 });
    published(w, 'cam');
    w.emit('play.started', 'cam', { protocol: 'hls', sessionId: 'h' });
    await vi.runAllTimersAsync();
    expect(got).toHaveLength(6);
    expect(lines.map((l) => [l.fields.seq, l.fields.reason])).toEqual([
      [1, 'gave up after 3 attempts: no answer within 5000 ms'], [2, 'gave up after 3 attempts: no answer within 5000 ms']]);
    expect(w.counts).toEqual({ delivered: 0, retried: 4, dropped: 2 });
  });

  it('drops what a full queue cannot hold, logged and counted, and its seq is a gap the receiver sees', async () => {
    let open = false;
    const { got, post } = receiver(() => (open ? 200 : 503));
    const { log, lines } = logged();
    const w = make(post, { log, queueMax: 2 });
    published(w, 'cam'); published(w, 'cam'); published(w, 'cam');
    expect(lines).toEqual([{ event: 'webhook.dropped', fields: expect.objectContaining({ stream: 'cam', seq: 3, reason: 'queue full (2 events waiting)' }) }]);
    open = true;
    await vi.runAllTimersAsync();
    published(w, 'cam');
    await vi.runAllTimersAsync();
    expect([...new Set(got.map((g) => g.body.seq))]).toEqual([1, 2, 4]);
    expect(w.counts).toMatchObject({ delivered: 3, dropped: 1 });
  });

  it('sends no more than its concurrency at once', async () => {
    const pending: (() => void)[] = [];
    const post = vi.fn(() => new Promise<number>((resolve) => pending.push(() => resolve(200))));
    const w = make(post, { concurrency: 2 });
    for (const s of ['a', 'b', 'c']) published(w, s);
    await vi.advanceTimersByTimeAsync(0);
    expect(post).toHaveBeenCalledTimes(2);
    pending.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect(post).toHaveBeenCalledTimes(3);
  });

  it('sends only the types asked for, and nothing at all without a URL', async () => {
    const { got, post } = receiver();
    make(post, { types: new Set(['play.started']) }).emit('stream.published', 'x', { mediaSessionId: 'm', origin: 'test', video: null, audio: null });
    published(make(post, { url: '' }), 'x');
    await vi.runAllTimersAsync();
    expect(got).toHaveLength(0);
  });

  it('on close, lets the queue drain for a while, then drops what is left with a reason', async () => {
    const { post } = receiver(() => 503);
    const { log, lines } = logged();
    const w = make(post, { log });
    published(w, 'cam'); published(w, 'cam');
    const closed = w.close(5000);
    await vi.advanceTimersByTimeAsync(5000);
    await closed;
    published(w, 'late');
    expect(lines.map((l) => [l.fields.seq, l.fields.stream, l.fields.reason])).toEqual([
      [1, 'cam', 'the relay stopped before it was delivered'], [2, 'cam', 'the relay stopped before it was delivered'], [1, 'late', 'the relay has stopped']]);
    expect(w.waiting).toBe(0);
  });
});
