/**
 * The pull state machine, fast: a real Websocket origin on loopback speaking WCS (FakeWcsOrigin) and a
 * faked Janus (the one faked boundary), each case in milliseconds.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSocket } from 'node:dgram';
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
import { openAccess } from '../../fakes/open-access.ts';
import { recordedWebhooks } from '../../fakes/recorded-webhooks.ts';

setLogLevel('error');

/** Resolves when the pull enters `to` (now or later). */
function reaches(pull: Pull, to: PullState): Promise<void> {
  return new Promise((resolve) => {
    if (pull.state === to) return resolve();
    const on = (s: PullState) => { if (s === to) { pull.off('state', on); resolve(); } };
    pull.on('state', on);
  });
}

describe('Pull state machine', () => {
  let origin: FakeWcsOrigin;
  let janus: FakeJanus;
  let pulls: Pulls;
  let registry: StreamRegistry;
  const seen: PullState[] = [];
  let webhooks: ReturnType<typeof recordedWebhooks>;

  beforeEach(async () => {
    origin = await FakeWcsOrigin.start();
    janus = new FakeJanus();
    registry = new StreamRegistry();
    webhooks = recordedWebhooks();
    const config = loadConfig({ SIPHON_PULL_STALL_MS: '300', SIPHON_PULL_RETRY_MAX_MS: '60' });
    const supervisorEvents = new EventEmitter();
    const access = Object.assign(supervisorEvents, { state: 'up' as const, current: janus, streamingAdminKey: 'k' }) as never;
    const teePorts = new UdpPortPool({ from: 47000, to: 47999 }, 65536);
    pulls = new Pulls({ config, log: new Logger({ test: 'pull' }), registry, teePorts, janus: access, ownSinks: MountpointSink.forEveryStream({ janus: access, teePorts }), access: openAccess(), nodeId: '127.0.0.1', webhooks });
    seen.length = 0;
  });

  afterEach(async () => {
    await pulls.closeAll();
    await origin.close();
  });

  const start = async (name = 's') => {
    const pull = await pulls.create({ uri: origin.url, remoteStreamName: name, localStreamName: `${name}-copy` });
    seen.push(pull.state); // create() has started it: PENDING already
    pull.on('state', (s) => seen.push(s));
    return pull;
  };
  /** Resolves once the origin has received a `message` frame for `mediaSessionId`. */
  const originGets = (message: string, mediaSessionId: string) => new Promise<void>((resolve) => {
    const match = (f: { message: string; data: Record<string, unknown>[] }) => f.message === message && f.data[0]?.mediaSessionId === mediaSessionId;
    if (origin.received.some(match)) return resolve();
    const on = (f: { message: string; data: Record<string, unknown>[] }) => { if (match(f)) { origin.off('frame', on); resolve(); } };
    origin.on('frame', on);
  });

  it('NEW → PENDING → PLAYING: plays the remote stream, learns its codecs and opens the mountpoint', async () => {
    origin.published.add('s');
    const pull = await start();
    await reaches(pull, 'PLAYING');
    expect(seen).toEqual(['PENDING', 'PLAYING']);
    expect(origin.received.find((f) => f.message === 'playStream')?.data[0]).toMatchObject({ name: 's', mediaSessionId: pull.remoteMediaSessionId });
    expect([pull.stream.codecs.video?.name, pull.stream.codecs.audio?.name]).toEqual(['VP8', 'OPUS']);
    expect(pull.stream.status).toBe('PUBLISHING');
    expect(janus.mountpoints).toEqual(new Set(['s-copy']));
    expect(webhooks.of('pull.state')).toEqual([
      { type: 'pull.state', stream: 's-copy', data: { pullId: pull.localMediaSessionId, uri: origin.url, remoteStream: 's', from: 'NEW', to: 'PENDING', info: expect.any(String), attempt: 1 } },
      { type: 'pull.state', stream: 's-copy', data: expect.objectContaining({ from: 'PENDING', to: 'PLAYING' }) },
    ]);
  });

  it('a stream the remote does not have: FAILED "Stream not found", retried with backoff, PLAYING once published', async () => {
    const pull = await start();
    await reaches(pull, 'FAILED');
    expect([pull.info, pull.lastError]).toEqual(['Stream not found', 'Stream not found']);
    await reaches(pull, 'PENDING');
    origin.published.add('s');
    await reaches(pull, 'PLAYING');
    expect(pull.attempts).toBeGreaterThanOrEqual(2);
    expect(pull.info).toBe('');
  });

  for (const [status, info, expected] of [['UNPUBLISHED', '', 'UNPUBLISHED'], ['STOPPED', 'Stopped by publisher stop', 'Stopped by publisher stop'],
    ['FAILED', 'Failed by error', 'Failed by error']]) {
    it(`the remote reports ${status}${info ? ` "${info}"` : ' with no info'}: FAILED "${expected}" at once, PLAYING again by itself`, async () => {
      origin.published.add('s');
      const pull = await start();
      await reaches(pull, 'PLAYING');
      const firstId = pull.remoteMediaSessionId!;
      origin.unpublish('s', status, info);
      await reaches(pull, 'FAILED');
      expect(pull.info).toBe(expected);
      await originGets('stopStream', firstId);
      origin.published.add('s');
      await reaches(pull, 'PLAYING');
      expect(pull.remoteMediaSessionId).not.toBe(firstId);
      expect(janus.open('janus.plugin.nosip')).toHaveLength(1); // the first attempt's leg was hung up
    });
  }

  it('a status for an earlier attempt\'s mediaSessionId is ignored', async () => {
    origin.published.add('s');
    const pull = await start();
    await reaches(pull, 'PLAYING');
    const firstId = pull.remoteMediaSessionId!;
    origin.dropConnections();
    await reaches(pull, 'FAILED');
    expect(pull.lastError).toMatch(/^remote closed the connection/);
    await reaches(pull, 'PLAYING');
    origin.status(firstId, 'UNPUBLISHED', 'late');
    origin.status(pull.remoteMediaSessionId!, 'PLAYING', '');
    await origin.roundTrip();
    expect(pull.state).toBe('PLAYING');
  });

  it('no RTP while PLAYING: FAILED "no media for 300 ms" (the stall timer), then reconnects', async () => {
    origin.published.add('s');
    const pull = await start();
    await reaches(pull, 'PLAYING');
    await reaches(pull, 'FAILED');
    expect(pull.info).toBe('no media for 300 ms');
    await reaches(pull, 'PLAYING');
  });

  it('RTP arriving keeps a PLAYING pull from stalling', async () => {
    origin.published.add('s');
    const pull = await start();
    await reaches(pull, 'PLAYING');
    const sock = createSocket('udp4');
    const rtp = Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7, 1, 2, 3]);
    for (let i = 0; i < 8; i += 1) {
      await new Promise((r) => sock.send(rtp, pull.stream.ingressPorts.video!, '127.0.0.1', r));
      await new Promise((r) => setTimeout(r, 60)); // 8 × 60 ms of media spans longer than the 300 ms stall limit
    }
    sock.close();
    expect(pull.state).toBe('PLAYING');
    expect(seen).toEqual(['PENDING', 'PLAYING']);
  });

  it('the WebRTC leg hangs up: FAILED with why, retried', async () => {
    origin.published.add('s');
    const pull = await start();
    await reaches(pull, 'PLAYING');
    janus.open('janus.plugin.nosip')[0]!.hangup('DTLS alert');
    await reaches(pull, 'FAILED');
    expect(pull.info).toBe('WebRTC leg ended: hangup: DTLS alert');
    await reaches(pull, 'PLAYING');
  });

  it("counts Janus's slowlink events on its leg into its link, kept over a reconnect", async () => {
    origin.published.add('s');
    const pull = await start();
    expect(pull.link).toMatchObject({ slowlinkEvents: 0, updatedAt: null });
    await reaches(pull, 'PLAYING');
    const leg = janus.open('janus.plugin.nosip')[0]!;
    leg.slowlink();
    leg.slowlink();
    leg.hangup('DTLS alert');
    await reaches(pull, 'FAILED'); // leaving PLAYING brings the link up to date
    expect(pull.link.slowlinkEvents).toBe(2);
    expect(pull.link.updatedAt).not.toBeNull();
    leg.slowlink(); // the old leg is gone: not counted
    await reaches(pull, 'PLAYING');
    janus.open('janus.plugin.nosip')[0]!.slowlink();
    await pulls.terminate({ localStreamName: 's-copy' }, 'Stopped by rest /terminate');
    expect(pull.link.slowlinkEvents).toBe(3);
  });

  it("the leg's DTLS alert beats the remote's UNPUBLISHED by a few ms: FAILED with the remote's reason", async () => {
    origin.published.add('s');
    const pull = await start();
    await reaches(pull, 'PLAYING');
    janus.open('janus.plugin.nosip')[0]!.hangup('DTLS alert');
    origin.unpublish('s', 'UNPUBLISHED', '');
    await reaches(pull, 'FAILED');
    expect(pull.info).toBe('UNPUBLISHED');
  });

  it('terminate: TERMINATED, stopStream sent, leg and mountpoint gone, the name free again, no retry', async () => {
    origin.published.add('s');
    const pull = await start();
    await reaches(pull, 'PLAYING');
    const [ended] = await pulls.terminate({ localStreamName: 's-copy' }, 'Stopped by rest /terminate');
    expect(ended).toBe(pull);
    expect([pull.state, pull.info]).toEqual(['TERMINATED', 'Stopped by rest /terminate']);
    await originGets('stopStream', pull.remoteMediaSessionId!);
    expect(janus.open('janus.plugin.nosip')).toHaveLength(0);
    expect(janus.mountpoints.size).toBe(0);
    expect(registry.get('s-copy')).toBeUndefined();
    expect(registry.claimName('s-copy')).toBe(true);
    expect(pulls.all()).toEqual([]);
  });

  it('a second pull of a local name in use is refused with 409, the first keeps playing', async () => {
    origin.published.add('s');
    const pull = await start();
    await expect(pulls.create({ uri: origin.url, remoteStreamName: 's', localStreamName: 's-copy' })).rejects.toMatchObject({ status: 409 });
    await reaches(pull, 'PLAYING');
  });
});

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
      ownSinks: MountpointSink.forEveryStream({ janus: access, teePorts }), access: openAccess(), nodeId: '127.0.0.1', webhooks: recordedWebhooks() });
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
