/** What every stream-level object needs from the relay, passed down instead of reached for globally. */
import type { Config } from './config.ts';
import type { Logger } from './log.ts';
import type { JanusSupervisor } from './janus/supervisor.ts';
import type { StreamRegistry } from './streams/registry.ts';
import type { UdpPortPool } from './media/udp-port-pool.ts';
import type { Stream, StreamDeps } from './streams/stream.ts';
import type { AccessControl } from './access/access-control.ts';
import type { Webhooks } from './webhooks/webhooks.ts';

export interface RelayContext {
  config: Config;
  log: Logger;
  janus: JanusSupervisor;
  registry: StreamRegistry;
  /** The relay's own RTP/RTCP port pairs (tee range). */
  teePorts: UdpPortPool;
  /** The outputs every stream runs by itself (relay.ts: the Janus mountpoint). */
  ownSinks: NonNullable<StreamDeps['ownSinks']>;
  /** Who may connect, publish and play (tokens, WCS REST hooks), on every protocol. */
  access: AccessControl;
  /** This relay as WCS's hook bodies name it (`nodeId`): its public address, else the one it binds. */
  nodeId: string;
  /** The operator's lifecycle notifications: `emit` and go on (it never waits or throws). */
  webhooks: Webhooks;
  /**
   * A relay that joined an edge: a copy of `name` pulled here on demand (relay.ts asks the edge), resolved once it
   * plays; undefined when the edge has no such stream or cannot place it. Absent on a relay that joined none.
   */
  demand?: (name: string) => Promise<Stream | undefined>;
}
