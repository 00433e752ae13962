/**
 * A `/pull/push`'s retries on fake timers (setImmediate and I/O stay real): a real Websocket WCS server on
 * loopback (FakeWcsOrigin) and a faked Janus, no waiting out a backoff.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import { loadConfig } from '../../../../relay/config.ts';
import { Logger, setLogLevel, type LogFields } from '../../../../relay/log.ts';
import { StreamRegistry } from '../../../../relay/streams/registry.ts';
import { StreamClaim } from '../../../../relay/streams/stream-factory.ts';
import { UdpPortPool } from '../../../../relay/media/udp-port-pool.ts';
import { opus, vp8 } from '../../../../relay/sdp/description.ts';
import { WcsPushes } from '../../../../relay/outputs/wcs-push/wcs-pushes.ts';
import type { PushState, WcsPush } from '../../../../relay/outputs/wcs-push/wcs-push.ts';
import type { RelayContext } from '../../../../relay/context.ts';
import { FakeJanus } from '../../fakes/fake-janus.ts';
import { FakeWcsOrigin } from '../../fakes/fake-wcs-origin.ts';
import { MountpointSink } from '../../../../relay/outputs/mountpoint/mountpoint-sink.ts';

setLogLevel('error');

function reaches(push: WcsPush, to: PushState): Promise<void> {
  return new Promise((resolve) => {
    if (push.pushState === to) return resolve();
    const on = (s: PushState) => { if (s === to) { push.off('state', on); resolve(); } };
    push.on('state', on);
  });
}

describe('WcsPush retries', () => {
  let remote: FakeWcsOrigin;
  let ctx: RelayContext;
  let pushes: WcsPushes;

  beforeEach(async () => {
    remote = await FakeWcsOrigin.start();
    const janus = new FakeJanus();
    const config = loadConfig({ SIPHON_PULL_RETRY_MAX_MS: '1500' });
    const access = Object.assign(new EventEmitter(), { state: 'up' as const, current: janus, streamingAdminKey: 'k' }) as never;
    const teePorts = new UdpPortPool({ from: 49000, to: 49999 }, 65536);
    ctx = { config, log: new Logger({ test: 'push-retry' }), registry: new StreamRegistry(), teePorts, janus: access, ownSinks: MountpointSink.forEveryStream({ janus: access, teePorts }) };
    pushes = new WcsPushes(ctx);
    const local = await StreamClaim.take(ctx, 'local')!.open({ mediaSessionId: 'm-local', origin: 'test', kinds: ['audio', 'video'] });
    await local.useCodecs({ audio: opus(111), video: vp8(96) });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    vi.spyOn(Math, 'random').mockReturnValue(1); // no jitter: the longest delay of each step
  });

  afterEach(async () => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    await pushes.closeAll();
    await Promise.all(ctx.registry.all().map((s) => s.close({ status: 'STOPPED', info: 'test over' })));
    await remote.close();
  });

  it('wait the backoff of the failures in a row, from 500 ms again once PUBLISHING; terminate drops a pending retry', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const waits = () => warn.mock.calls.filter(([event]) => event === 'push.retry_scheduled').map(([, f]) => (f as LogFields).inMs);
    remote.refusePublish = 'Stream name already in use';
    const push = await pushes.create({ uri: remote.url, localStreamName: 'local', remoteStreamName: 'there' });
    await reaches(push, 'FAILED');
    await vi.advanceTimersByTimeAsync(499);
    expect([waits(), push.pushState]).toEqual([[500], 'FAILED']);
    await vi.advanceTimersByTimeAsync(1);
    expect(push.pushState).toBe('PENDING');
    await reaches(push, 'FAILED');
    expect(waits()).toEqual([500, 1000]);
    remote.refusePublish = undefined;
    await vi.advanceTimersByTimeAsync(1000);
    await reaches(push, 'PUBLISHING');
    remote.dropConnections();
    await reaches(push, 'FAILED');
    expect([waits(), push.attempts]).toEqual([[500, 1000, 500], 3]);
    await push.terminate('Stopped by rest /terminate');
    await vi.advanceTimersByTimeAsync(60_000);
    expect([push.pushState, push.attempts]).toEqual(['TERMINATED', 3]);
  });
});
