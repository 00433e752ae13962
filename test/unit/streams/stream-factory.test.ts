/** StreamClaim: a name is given back exactly once, whatever fails or gives up, and never someone else's. */
import { describe, expect, it } from 'vitest';
import { Logger } from '../../../relay/log.ts';
import { StreamRegistry } from '../../../relay/streams/registry.ts';
import { UdpPortPool } from '../../../relay/media/udp-port-pool.ts';
import { StreamClaim } from '../../../relay/streams/stream-factory.ts';
import { FakeJanus } from '../fakes/fake-janus.ts';
import { setLogLevel } from '../../../relay/log.ts';

setLogLevel('error');

function deps(range = { from: 50000, to: 50999 }) {
  return { registry: new StreamRegistry(), teePorts: new UdpPortPool(range, 65536), log: new Logger(), janus: new FakeJanus() };
}

describe('StreamClaim', () => {
  it('one claim per name; open registers the stream, and closing it frees the name and its sockets', async () => {
    const d = deps();
    const claim = StreamClaim.take(d, 's')!;
    expect(StreamClaim.take(d, 's')).toBeUndefined();
    const stream = await claim.open({ mediaSessionId: 'id', origin: 'pull', kinds: ['audio', 'video'] });
    expect([d.registry.get('s'), d.teePorts.size]).toEqual([stream, 2]);
    await stream.close({ status: 'UNPUBLISHED', info: '' });
    expect([d.registry.get('s'), d.teePorts.size]).toEqual([undefined, 0]);
    expect(StreamClaim.take(d, 's')).toBeDefined();
  });

  it('no free ports: the name is given back and nothing stays bound', async () => {
    const d = deps({ from: 50990, to: 50991 }); // room for one pair only
    await expect(StreamClaim.take(d, 's')!.open({ mediaSessionId: 'id', origin: 'pull', kinds: ['audio', 'video'] })).rejects.toThrow();
    expect(d.teePorts.size).toBe(0);
    expect(StreamClaim.take(d, 's')).toBeDefined();
  });

  it('released while preparing (the publisher left): prepare lets go of its sockets and never frees the next owner\'s name', async () => {
    const d = deps();
    const first = StreamClaim.take(d, 's')!;
    const preparing = first.prepare({ mediaSessionId: 'a', origin: 'publish', kinds: ['video'] });
    first.release();
    const second = StreamClaim.take(d, 's')!;
    expect(second).toBeDefined();
    await expect(preparing).rejects.toThrow(/released while its stream was being prepared/);
    first.release();
    expect(StreamClaim.take(d, 's')).toBeUndefined(); // still the second's
    expect(d.teePorts.size).toBe(0);
  });

  it('prepared but not registered: players cannot find it; release gives the name back', async () => {
    const d = deps();
    const claim = StreamClaim.take(d, 's')!;
    const stream = await claim.prepare({ mediaSessionId: 'a', origin: 'publish', kinds: ['video'] });
    expect(d.registry.get('s')).toBeUndefined();
    await stream.close({ status: 'FAILED', info: 'x' });
    claim.release();
    expect([StreamClaim.take(d, 's') !== undefined, d.teePorts.size]).toEqual([true, 0]);
  });
});
