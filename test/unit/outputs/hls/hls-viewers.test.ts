/** HLS has no "stop": a viewer starts with its first playlist request and has stopped once its reloads stop. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HlsViewers } from '../../../../relay/outputs/hls/hls-viewers.ts';
import { recordedWebhooks } from '../../fakes/recorded-webhooks.ts';

describe('HLS viewers', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('play.started at the first reload only; play.stopped once silent, with the bytes served and first-to-last request time', () => {
    const webhooks = recordedWebhooks();
    const viewers = new HlsViewers('cam', webhooks);
    viewers.reloaded('10.0.0.1 Safari');
    viewers.served('10.0.0.1 Safari', 300);
    vi.advanceTimersByTime(4000);
    viewers.reloaded('10.0.0.1 Safari');
    viewers.reloaded('10.0.0.2 hls.js');
    viewers.served('10.0.0.1 Safari', 700);
    expect(webhooks.of('play.started').map((e) => e.stream)).toEqual(['cam', 'cam']);
    expect(viewers.countSince(Date.now() - 10_000)).toBe(2);

    vi.advanceTimersByTime(11_000);
    viewers.reloaded('10.0.0.2 hls.js');
    viewers.sweep(Date.now() - 10_000, 'no playlist request for 10 s');
    expect(webhooks.of('play.stopped').map((e) => e.data)).toEqual([
      { protocol: 'hls', sessionId: webhooks.of('play.started')[0]!.data.sessionId, bytes: 1000, durationMs: 4000, reason: 'no playlist request for 10 s' }]);
    viewers.stopAll('the stream ended');
    expect(webhooks.of('play.stopped').map((e) => [e.data.durationMs, e.data.reason])).toEqual([[4000, 'no playlist request for 10 s'], [11_000, 'the stream ended']]);
    expect(viewers.countSince(0)).toBe(0);
  });
});
