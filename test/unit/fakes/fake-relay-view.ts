/** A fake relay behind the HTTP layer (test/unit/rest/). */
import { tmpdir } from 'node:os';
import type { RelayView } from '../../../relay/rest/relay-view.ts';
import { UNKNOWN_LINK } from '../../../relay/sources/pull/link-quality.ts';
import type { PullLink } from '../../../contract/pull.ts';

export const linkOf = (l: Partial<PullLink>): PullLink => ({ ...UNKNOWN_LINK, ...l });

/**
 * A relay as its HTTP layer sees it (RelayView), enough for /metrics, the stat page and buildApp's routes; `config`
 * adds settings (REST keys), `lines` collects what it logs. `state` is live: a test changes it between requests.
 */
export function fakeRelay(config: Partial<RelayView['ctx']['config']> = {}) {
  const lines: { event: string; fields?: Record<string, unknown> }[] = [];
  const log = { child: () => log, debug: () => undefined, warn: () => undefined, error: () => undefined,
    info: (event: string, fields?: Record<string, unknown>) => { lines.push({ event, fields }); } };
  const tee = { bytesIn: 1000, bytesOut: 500, packetsIn: 10, packetsLost: 2 };
  const state = {
    streams: [{ tee }],
    sessions: [] as { id: string; name: string; role: 'publisher' | 'player'; isEnded: boolean; status: string; info: string; startedAt: number }[],
    pulls: [
      { state: 'PLAYING', spec: { localStreamName: 'cam' }, link: linkOf({ rttMs: 42, lossPct: 1.25, lossAfterRepairPct: 0.1, nacksSent: 30, retransmissionsReceived: 28, keyframeRequests: 2, slowlinkEvents: 1 }) },
      { state: 'FAILED', spec: { localStreamName: 'far "away"' }, link: linkOf({ keyframeRequests: 0 }) },
    ], closedTotals: { bytesIn: 0, bytesOut: 0, packetsIn: 0 }, restarts: 0, lagResets: 0, inventoryCalls: 0,
    hls: [{ id: 'a', state: 'running', transcodes: true, window: { bytes: 5000 } }, { id: 'b', state: 'stopped', transcodes: false, window: { bytes: 0 } }] };
  const relay = {
    ctx: {
      config: { restToken: '', restKeys: '', whepToken: '', whipWhepIceServers: [], publicIp: '', bindAddress: '127.0.0.1',
        hlsPort: 8082, hlsTlsPort: 8445, tlsCert: '', teePorts: { from: 35000, to: 35999 }, ...config },
      log,
      janus: {
        state: 'up', pid: 1, lastError: '',
        get restarts() { return state.restarts; },
        inventory: async () => { state.inventoryCalls += 1; return { sessions: 3 }; },
      },
      registry: { all: () => state.streams, allMediaSessions: () => state.sessions, get: () => undefined, closedTotals: state.closedTotals },
      teePorts: { size: 2 },
      access: { counts: new Map([['publish|whip|denied', 2]]), leases: 3, revocations: 1 },
      webhooks: { counts: { delivered: 7, retried: 3, dropped: 1 }, waiting: 2 },
    },
    wcs: { sessions: new Set([1]), terminate: () => true },
    pulls: { all: () => state.pulls, terminate: async () => [] },
    viewerProxy: { connections: 4 },
    capacity: { max: 0, viewers: 5 },
    eventLoopLag: { count: 1, percentile: () => 12_345_678, reset: () => { state.lagResets += 1; } },
    demo: undefined,
    wish: { count: (kind: string) => (kind === 'whep' ? 3 : 1), terminate: () => false },
    rtmpPushes: { all: () => [{ state: 'running' }, { state: 'restarting' }] },
    recordings: { settings: { dir: tmpdir() }, all: () => [{ ended: false, recState: 'recording' }, { ended: true, recState: 'failed' }, { ended: true, recState: 'stopped' }] },
    wcsPushes: { terminate: async () => [], all: () => [{ pushState: 'PUBLISHING' }, { pushState: 'FAILED' }, { pushState: 'PENDING' }] },
    hls: {
      all: () => state.hls, get: () => undefined, viewers: () => 2,
      totals: { opened: 1, playlists: 10, inits: 1, parts: 40, segments: 3, bytes: 12_345 },
    },
  } as unknown as RelayView;
  return { relay, tee, state, lines };
}
