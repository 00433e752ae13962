/** The socket side of a WCS Websocket session (what `ws` gives WcsSession), faked, and the relay context it runs in. */
import { EventEmitter } from 'node:events';
import { loadConfig } from '../../../relay/config.ts';
import { Logger } from '../../../relay/log.ts';
import type { StreamRegistry } from '../../../relay/streams/registry.ts';
import { UdpPortPool } from '../../../relay/media/udp-port-pool.ts';
import { MountpointSink } from '../../../relay/outputs/mountpoint/mountpoint-sink.ts';
import { accessControlFrom } from '../../../relay/access/access-settings.ts';
import type { Webhooks } from '../../../relay/webhooks/webhooks.ts';
import type { RelayContext } from '../../../relay/context.ts';
import type { FakeJanus } from './fake-janus.ts';

export interface Sent { message: string; data: Record<string, unknown>[] }

/** The socket side of a session: what the client sends in, and every frame the relay sends out. */
export class FakeSocket extends EventEmitter<{ message: [Buffer, boolean]; close: [number]; error: [Error]; sent: [Sent] }> {
  readonly OPEN = 1;
  readonly CONNECTING = 0;
  readyState = 1;
  readonly sent: Sent[] = [];
  closedWith: number | undefined;
  send(text: string): void { const f = JSON.parse(text) as Sent; this.sent.push(f); this.emit('sent', f); }
  close(code: number): void { this.closedWith = code; this.readyState = 3; this.emit('close', code); }
  client(message: string, ...data: unknown[]): void { this.emit('message', Buffer.from(JSON.stringify({ message, data })), false); }
  /** The next frame the relay sends that matches (or one already sent). */
  next(match: (f: Sent) => boolean): Promise<Sent> {
    const seen = this.sent.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const on = (f: Sent) => { if (match(f)) { this.off('sent', on); resolve(f); } };
      this.on('sent', on);
    });
  }
}

/** What the fake Janus's Admin API says a player's leg was sent. */
export const FAKE_LEG_BYTES = 1234;

/** What a WcsSession needs of the relay, over a faked Janus (the one faked boundary); `lines` collects its log. */
export function fakeWcsContext(janus: FakeJanus, registry: StreamRegistry, webhooks: Webhooks, env: Record<string, string> = {}) {
  const handleInfo = async () => ({ webrtc: { media: { 0: { out_stats: { bytes: 1000 } }, 1: { out_stats: { bytes: FAKE_LEG_BYTES - 1000 } } } } });
  const supervisor = Object.assign(new EventEmitter(), { state: 'up' as const, current: janus, streamingAdminKey: 'k', handleInfo }) as never;
  const teePorts = new UdpPortPool({ from: 48000, to: 48999 }, 65536);
  const config = loadConfig(env);
  const lines: { level: string; event: string; fields?: Record<string, unknown> }[] = [];
  const record = (level: string) => (event: string, fields?: Record<string, unknown>) => { lines.push({ level, event, fields }); };
  const log = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error'), child: () => log } as unknown as Logger;
  const ctx = { config, log, registry, teePorts, janus: supervisor, ownSinks: MountpointSink.forEveryStream({ janus: supervisor, teePorts }),
    access: accessControlFrom(config, new Logger(), webhooks), webhooks } as unknown as RelayContext;
  return { ctx, lines };
}
