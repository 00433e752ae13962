/**
 * What the HTTP layer reads from the relay. The relay passes itself (structural typing), so rest/ never
 * imports relay.ts, which imports rest/app.ts: no cycle, and the REST surface's reach into the relay is listed here.
 */
import type { Histogram } from 'node:perf_hooks';
import type { Config } from '../config.ts';
import type { RelayContext } from '../context.ts';
import type { Logger } from '../log.ts';
import type { JanusSupervisor } from '../janus/supervisor.ts';
import type { ViewerProxy } from '../janus/viewer-proxy.ts';
import type { StreamRegistry } from '../streams/registry.ts';
import type { UdpPortPool } from '../media/udp-port-pool.ts';
import type { WcsServer } from '../wcs-server/server.ts';
import type { WcsSession } from '../wcs-server/connection.ts';
import type { Pulls } from '../sources/pull/pulls.ts';
import type { TestStream } from '../sources/test-stream.ts';
import type { HlsOutputs } from '../outputs/hls/hls-outputs.ts';
import type { WishSessions } from '../wish/wish-sessions.ts';
import type { RtmpPushes } from '../outputs/rtmp/rtmp-pushes.ts';
import type { WcsPushes } from '../outputs/wcs-push/wcs-pushes.ts';
import type { Recordings } from '../outputs/record/recordings.ts';
import type { RecordUrls } from '../outputs/record/record-urls.ts';
import type { Snapshots } from '../outputs/snapshot/snapshots.ts';
import type { ViewerCapacity } from '../access/viewer-capacity.ts';
import type { AccessControl } from '../access/access-control.ts';
import type { Webhooks } from '../webhooks/webhooks.ts';

export interface RelayView {
  /** The membership at an edge (SIPHON_EDGE_URL): its credentials open the REST to that edge. */
  readonly edgeLink?: { credentials(): string[] };
  readonly ctx: {
    readonly config: Pick<Config, 'restToken' | 'restKeys' | 'whepToken' | 'whipWhepIceServers' | 'hlsPort' | 'hlsTlsPort' | 'tlsCert' | 'teePorts' | 'publicIp' | 'bindAddress'>;
    readonly log: Logger;
    readonly janus: Pick<JanusSupervisor, 'state' | 'pid' | 'restarts' | 'lastError' | 'inventory'>;
    readonly registry: Pick<StreamRegistry, 'all' | 'allMediaSessions' | 'get' | 'closedTotals'>;
    readonly demand?: RelayContext['demand'];
    readonly teePorts: Pick<UdpPortPool, 'size'>;
    readonly access: AccessControl;
    readonly nodeId: string;
    readonly webhooks: Pick<Webhooks, 'counts' | 'waiting'>;
  };
  readonly wcs: { readonly sessions: ReadonlySet<WcsSession>; terminate: WcsServer['terminate']; find: WcsServer['find'] };
  readonly pulls: Pick<Pulls, 'all' | 'create' | 'terminate'>;
  readonly viewerProxy: Pick<ViewerProxy, 'connections'>;
  /** Event-loop delay since the last /metrics scrape (the scrape resets it). */
  readonly eventLoopLag: Pick<Histogram, 'count' | 'percentile' | 'reset'>;
  readonly demo: TestStream | undefined;
  readonly hls: Pick<HlsOutputs, 'all' | 'get' | 'viewers' | 'totals'>;
  readonly wish: WishSessions;
  readonly rtmpPushes: RtmpPushes;
  readonly wcsPushes: Pick<WcsPushes, 'all' | 'create' | 'terminate'>;
  readonly recordings: Recordings;
  readonly recordUrls: RecordUrls;
  readonly snapshots: Pick<Snapshots, 'take'>;
  readonly capacity: Pick<ViewerCapacity, 'max' | 'viewers'>;
}
