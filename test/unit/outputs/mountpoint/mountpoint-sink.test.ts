/** The mountpoint's one owner, on a faked Janus: idempotent start, nothing leaked when Janus refuses, a Janus loss mid-start. */
import { describe, expect, it } from 'vitest';
import { Logger, setLogLevel } from '../../../../relay/log.ts';
import { Tee } from '../../../../relay/media/tee.ts';
import { UdpPortPool } from '../../../../relay/media/udp-port-pool.ts';
import { MountpointSink } from '../../../../relay/outputs/mountpoint/mountpoint-sink.ts';
import { opus, vp8 } from '../../../../relay/sdp/description.ts';
import { FakeJanus } from '../../fakes/fake-janus.ts';

setLogLevel('error');

function sink(janus: FakeJanus) {
  const teePorts = new UdpPortPool({ from: 49000, to: 49999 }, 65536);
  const s = new MountpointSink('cam', new Tee({}), () => ({ audio: opus(111), video: vp8(96) }), { janus: janus as never, teePorts, log: new Logger() });
  return { s, teePorts };
}

describe('MountpointSink', () => {
  it('concurrent starts make one mountpoint; closing destroys it and detaches its handle', async () => {
    const janus = new FakeJanus();
    const { s, teePorts } = sink(janus);
    await Promise.all([s.start(), s.start(), s.start()]);
    expect(s.state).toBe('running');
    expect(janus.handles).toHaveLength(1);
    expect(janus.mountpoints).toEqual(new Set(['cam']));
    expect(teePorts.size).toBe(1);
    await s.streamClosed();
    expect([s.state, janus.mountpoints.size, janus.handles[0]!.closed, teePorts.size]).toEqual(['stopped', 0, true, 0]);
  });

  it('a create Janus refuses leaves no handle behind; the next start works', async () => {
    const janus = new FakeJanus();
    const { s } = sink(janus);
    janus.refuseCreate = true;
    await expect(s.start()).rejects.toThrow(/refused/);
    expect([s.state, janus.open('janus.plugin.streaming').length]).toEqual(['idle', 0]);
    janus.refuseCreate = false;
    await s.start();
    expect(s.state).toBe('running');
  });

  it('Janus lost while a start is in flight: the late result is let go without asking the dead Janus', async () => {
    const janus = new FakeJanus();
    const { s, teePorts } = sink(janus);
    const starting = s.start();
    s.janusLost();
    await starting;
    expect(s.state).toBe('idle');
    expect(teePorts.size).toBe(0);
    expect(janus.handles[0]!.requests.map((r) => r.body.request)).toEqual(['create']); // no destroy sent to a lost Janus
  });

  it('the stream closes while a create is in flight: close waits, and the mountpoint made late is destroyed in the live Janus', async () => {
    const janus = new FakeJanus();
    const { s, teePorts } = sink(janus);
    let open!: () => void;
    janus.createGate = new Promise((r) => { open = r; });
    const starting = s.start();
    await new Promise((r) => setImmediate(r));
    const closing = s.streamClosed();
    open();
    await Promise.all([closing, starting]);
    expect([s.state, janus.mountpoints.size, janus.handles[0]!.closed, teePorts.size]).toEqual(['stopped', 0, true, 0]);
    await s.start();
    expect(s.state).toBe('stopped'); // a closed stream's mountpoint stays closed
  });

  it('codecs change while a create is in flight: the next start makes a fresh mountpoint instead of reusing the overtaken one', async () => {
    const janus = new FakeJanus();
    const { s } = sink(janus);
    let open!: () => void;
    janus.createGate = new Promise((r) => { open = r; });
    const first = s.start();
    await new Promise((r) => setImmediate(r));
    const changed = s.codecsChanged();
    const second = s.start();
    open();
    await Promise.all([first, changed, second]);
    expect(s.state).toBe('running');
    expect(janus.mountpoints).toEqual(new Set(['cam']));
    expect(janus.open('janus.plugin.streaming')).toHaveLength(1);
  });
});
