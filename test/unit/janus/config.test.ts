/** The Janus configuration the relay generates: only what Siphon uses, control ports on loopback. */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeJanusConfig, type JanusConfigOptions } from '../../../relay/janus/config.ts';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(overrides: Partial<JanusConfigOptions> = {}): string {
  dir = mkdtempSync(join(tmpdir(), 'siphon-janus-config-'));
  writeJanusConfig({
    dir, apiPort: 8188, adminPort: 7188, adminSecret: 'secret', streamingAdminKey: 'key',
    icePorts: { from: 31001, to: 32000 }, nosipPorts: { from: 33000, to: 33999 }, mountpointPorts: { from: 34000, to: 34999 },
    publicIp: '', iceInterfaces: [], eventLoops: 1, libDir: '/nonexistent/janus', ...overrides,
  });
  return readFileSync(join(dir, 'janus.jcfg'), 'utf8');
}

describe('generated Janus config', () => {
  it('loads only the NoSIP and Streaming plugins and the WebSockets transport', () => {
    write();
    expect(readdirSync(join(dir, 'plugins')).sort()).toEqual(['libjanus_nosip.so', 'libjanus_streaming.so']);
    expect(readdirSync(join(dir, 'transports'))).toEqual(['libjanus_websockets.so']);
  });

  it('binds the API and the Admin API to 127.0.0.1 on the configured ports', () => {
    write({ apiPort: 8198, adminPort: 7198 });
    const ws = readFileSync(join(dir, 'janus.transport.websockets.jcfg'), 'utf8');
    expect(ws).toMatch(/ws_port = 8198\s+ws_ip = "127\.0\.0\.1"/);
    expect(ws).toMatch(/admin_ws_port = 7198\s+admin_ws_ip = "127\.0\.0\.1"/);
    expect(ws).toMatch(/wss = false/);
  });

  it('shares its media loops between all legs instead of a thread per leg', () => {
    expect(write({ eventLoops: 3 })).toMatch(/^\s*event_loops = 3$/m);
  });

  it('takes the ICE port range and the NAT settings from the relay', () => {
    const text = write({ publicIp: '203.0.113.7', iceInterfaces: ['eth0'] });
    expect(text).toMatch(/rtp_port_range = "31001-32000"/);
    expect(text).toMatch(/nat_1_1_mapping = "203\.0\.113\.7"/);
    expect(text).toMatch(/ice_enforce_list = "eth0"/);
  });
});
