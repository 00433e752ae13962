/** stream.published once a stream carries media (not at its claim), stream.unpublished at its end, and nothing for a stream never live. */
import { describe, expect, it } from 'vitest';
import { Logger, setLogLevel } from '../../../relay/log.ts';
import { StreamRegistry } from '../../../relay/streams/registry.ts';
import { UdpPortPool } from '../../../relay/media/udp-port-pool.ts';
import { StreamClaim } from '../../../relay/streams/stream-factory.ts';
import { announceStreams } from '../../../relay/streams/stream-webhooks.ts';
import { vp8 } from '../../../relay/sdp/description.ts';
import { FakeJanus } from '../fakes/fake-janus.ts';
import { recordedWebhooks } from '../fakes/recorded-webhooks.ts';

setLogLevel('error');

function relay() {
  const d = { registry: new StreamRegistry(), teePorts: new UdpPortPool({ from: 50000, to: 50999 }, 65536), log: new Logger(), janus: new FakeJanus() };
  const webhooks = recordedWebhooks();
  announceStreams(d.registry, webhooks);
  return { d, webhooks };
}

describe('stream webhooks', () => {
  it('published when the source\'s media flows, once through a pull\'s reconnect; unpublished with its duration at the end', async () => {
    const { d, webhooks } = relay();
    const stream = await StreamClaim.take(d, 'cam')!.open({ mediaSessionId: 'm1', origin: 'pull', kinds: ['video'], codecs: { video: vp8(96) } });
    expect(webhooks.emitted).toEqual([]);
    stream.setStatus('PUBLISHING');
    stream.setStatus('PENDING');
    stream.setStatus('PUBLISHING');
    await stream.close({ status: 'UNPUBLISHED', info: 'Unpublished' });
    expect(webhooks.emitted).toEqual([
      { type: 'stream.published', stream: 'cam', data: { mediaSessionId: 'm1', origin: 'pull', video: 'VP8', audio: null } },
      { type: 'stream.unpublished', stream: 'cam', data: { mediaSessionId: 'm1', status: 'UNPUBLISHED', info: 'Unpublished', durationMs: expect.any(Number), bytesIn: 0 } },
    ]);
  });

  it('says nothing of a stream that never carried media (a publish whose leg never came up)', async () => {
    const { d, webhooks } = relay();
    const stream = await StreamClaim.take(d, 'cam')!.open({ mediaSessionId: 'm1', origin: 'publish', kinds: ['video'] });
    await stream.close({ status: 'FAILED', info: 'Failed by ICE timeout' });
    expect(webhooks.emitted).toEqual([]);
  });
});
