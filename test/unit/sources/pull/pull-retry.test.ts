/**
 * A pull's retries on fake timers (setImmediate and I/O stay real): a real Websocket origin on loopback
 * (FakeWcsOrigin) and a faked Janus, no waiting out a backoff.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import { loadConfig } from '../../../../relay/config.ts';
import { Logger, setLogLevel, type LogFields } from '../../../../relay/log.ts';
import { StreamRegistry } from '../../../../relay/streams/registry.ts';
import { UdpPortPool } from '../../../../relay/media/udp-port-pool.ts';
import { Pulls } from '../../../../relay/sources/pull/pulls.ts';
import type { Pull, PullState } from '../../../../relay/sources/pull/pull.ts';
import { FakeJanus } from '../../fakes/fake-janus.ts';
import { FakeWcsOrigin } from '../../fakes/fake-wcs-origin.ts';
import { MountpointSink } from '../../../../relay/outputs/mountpoint/mountpoint-sink.ts';

setLogLevel('error');

function reaches(pull: Pull, to: PullState): Promise<void> {
  return new Promise((resolve) => {
    if (pull.state === to) return resolve();
    const on = (s: PullState) => { if (s === to) { pull.off('state', on); resolve(); } };
    pull.on('state', on);
  });
}

describe('Pull retries', () => {
  let origin: FakeWcsOrigin;
  let pulls: Pulls;

  beforeEach(async () => {
    origin = await FakeWcsOrigin.start();
    const janus = new FakeJanus();
    const config = loadConfig({ SIPHON_PULL_STALL_MS: '600000', SIPHON_PULL_RETRY_MAX_MS: '1500' });
    const access = Object.assign(new EventEmitter(), { state: 'up' as const, current: janus, streamingAdminKey: 'k' }) as never;
    const teePorts = new UdpPortPool({ from: 48000, to: 48999 }, 65536);
    pulls = new Pulls({ config, log: new Logger({ test: 'pull-retry' }), registry: new StreamRegistry(), teePorts, janus: access,
      ownSinks: MountpointSink.forEveryStream({ janus: access, teePorts }) });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    vi.spyOn(Math, 'random').mockReturnValue(1); // no jitter: the longest delay of each step
  });

  afterEach(async () => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    await pulls.closeAll();
    await origin.close();
  });

  it('wait the backoff of the failures in a row, capped, from 500 ms again once PLAYING; terminate drops a pending retry', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const waits = () => warn.mock.calls.filter(([event]) => event === 'pull.retry_scheduled').map(([, f]) => (f as LogFields).inMs);
    const pull = await pulls.create({ uri: origin.url, remoteStreamName: 's', localStreamName: 's-copy' });
    await reaches(pull, 'FAILED');
    expect([waits(), pull.info]).toEqual([[500], 'Stream not found']);
    await vi.advanceTimersByTimeAsync(499);
    expect(pull.state).toBe('FAILED');
    await vi.advanceTimersByTimeAsync(1);
    expect(pull.state).toBe('PENDING');
    await reaches(pull, 'FAILED');
    await vi.advanceTimersByTimeAsync(1000);
    await reaches(pull, 'FAILED');
    expect(waits()).toEqual([500, 1000, 1500]);
    origin.published.add('s');
    await vi.advanceTimersByTimeAsync(1500);
    await reaches(pull, 'PLAYING');
    origin.unpublish('s', 'UNPUBLISHED', '');
    await reaches(pull, 'FAILED');
    expect([waits(), pull.attempts]).toEqual([[500, 1000, 1500, 500], 4]);
    await pull.terminate('Stopped by rest /terminate');
    await vi.advanceTimersByTimeAsync(60_000);
    expect([pull.state, pull.attempts]).toEqual(['TERMINATED', 4]);
  });
});
