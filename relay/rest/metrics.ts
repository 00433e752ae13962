/**
 * /metrics: the relay's gauges and counters, read from relay state when scraped (the state is the source of
 * truth, so nothing has to remember to update a metric), plus prom-client's process and GC metrics.
 */
import { getHeapSpaceStatistics } from 'node:v8';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { RelayView } from './relay-view.ts';
import { addPullLinkMetrics } from './pull-link-metrics.ts';

type Read = () => number | Promise<number>;
type Row = [name: string, type: 'gauge' | 'counter', help: string, read: Read];

/** Admission decisions by action, protocol and result; the relay's counts only grow, so the counter follows them. */
function addAccessMetrics(register: Registry, access: RelayView['ctx']['access']): void {
  const seen = new Map<string, number>();
  new Counter({
    name: 'siphon_access_decisions_total', help: 'Connect, publish and play decisions (tokens, WCS REST hooks) by result',
    labelNames: ['action', 'protocol', 'result'], registers: [register],
    collect() {
      for (const [key, now] of access.counts) {
        const [action, protocol, result] = key.split('|');
        this.inc({ action, protocol, result }, now - (seen.get(key) ?? 0));
        seen.set(key, now);
      }
    },
  });
}

/** Webhook events by outcome: delivered, retried (one per failed attempt that is tried again), dropped (each one also a warning). */
function addWebhookMetrics(register: Registry, webhooks: RelayView['ctx']['webhooks']): void {
  const seen = { delivered: 0, retried: 0, dropped: 0 };
  new Counter({
    name: 'siphon_webhooks_total', help: 'Webhook events delivered, attempts retried, and events dropped (given up, or the queue full)',
    labelNames: ['result'], registers: [register],
    collect() {
      for (const result of ['delivered', 'retried', 'dropped'] as const) {
        this.inc({ result }, webhooks.counts[result] - seen[result]);
        seen[result] = webhooks.counts[result];
      }
    },
  });
  gauge(register, 'siphon_webhooks_waiting', 'Webhook events queued or being delivered', () => webhooks.waiting);
}

/** A registry per relay, not prom-client's global one, so two relays or tests in one process do not collide. */
export function metricsRegistry(relay: RelayView): Registry {
  const register = new Registry();
  for (const [name, type, help, read] of [...rows(relay), ...hlsRows(relay)]) (type === 'gauge' ? gauge : counter)(register, name, help, read);
  new Gauge({
    name: 'siphon_hls_packagers', help: 'HLS outputs by packager state', labelNames: ['state'], registers: [register],
    collect() {
      this.reset();
      for (const state of HLS_STATES) this.set({ state }, relay.hls.all().filter((s) => s.state === state).length);
    },
  });
  addPullLinkMetrics(register, relay.pulls);
  addAccessMetrics(register, relay.ctx.access);
  addWebhookMetrics(register, relay.ctx.webhooks);
  collectDefaultMetrics({ register });
  return register;
}

function rows(relay: RelayView): Row[] {
  const { registry, janus, teePorts } = relay.ctx;
  const live = () => registry.all();
  const sessions = (role: string) => () => registry.allMediaSessions().filter((m) => m.role === role && !m.isEnded).length;
  // Closed streams' counts live on in closedTotals, so the running totals survive streams ending.
  const total = (field: 'bytesIn' | 'bytesOut' | 'packetsIn') => () => live().reduce((n, s) => n + s.tee[field], registry.closedTotals[field]);
  const inventory = oncePerScrape(() => janus.inventory());
  const space = (name: string) => () => getHeapSpaceStatistics().find((sp) => sp.space_name === name)?.space_size ?? 0;
  return [
    ['siphon_streams', 'gauge', 'Live streams on this relay', () => live().length],
    ['siphon_publishers', 'gauge', 'WCS publishers', sessions('publisher')],
    ['siphon_players', 'gauge', 'Players of a stream over WebRTC: WCS-protocol and WHEP', sessions('player')],
    ['siphon_whep_sessions', 'gauge', 'WHEP viewers', () => relay.wish.count('whep')],
    ['siphon_whip_sessions', 'gauge', 'WHIP publishers', () => relay.wish.count('whip')],
    ['siphon_rtmp_pushes', 'gauge', 'RTMP pushes (any state)', () => relay.rtmpPushes.all().length],
    ['siphon_rtmp_pushes_sending', 'gauge', 'RTMP pushes whose target takes the stream now', () => relay.rtmpPushes.all().filter((p) => p.state === 'running').length],
    ['siphon_viewers', 'gauge', 'Viewer-page connections to mountpoints', () => relay.viewerProxy.connections],
    ['siphon_access_sessions', 'gauge', 'Sessions holding access now (they end at their grant\'s expiry or a revoke)', () => relay.ctx.access.leases],
    ['siphon_access_revocations', 'gauge', 'Revocations in force on this relay', () => relay.ctx.access.revocations],
    ['siphon_webrtc_viewers', 'gauge', 'WebRTC viewers as the capacity counts them: WCS and WHEP players, viewer-page watches', () => relay.capacity.viewers],
    ['siphon_viewer_capacity', 'gauge', 'WebRTC viewers this relay takes (SIPHON_MAX_VIEWERS; 0: no limit)', () => relay.capacity.max],
    ['siphon_wcs_sessions', 'gauge', 'Open WCS Websocket sessions', () => relay.wcs.sessions.size],
    ['siphon_janus_up', 'gauge', '1 when Janus answers', () => (janus.state === 'up' ? 1 : 0)],
    ['siphon_janus_restarts_total', 'counter', 'Janus restarts since start', () => janus.restarts],
    ['siphon_media_bytes_in_total', 'counter', 'RTP bytes received from sources', total('bytesIn')],
    ['siphon_media_bytes_out_total', 'counter', 'RTP bytes sent to mountpoints and players', total('bytesOut')],
    ['siphon_media_packets_in_total', 'counter', 'RTP packets received from sources', total('packetsIn')],
    ['siphon_media_packets_lost', 'gauge', 'RTP packets missing from live sources (RFC 3550: expected by sequence number − received, at the tee)', () => live().reduce((n, s) => n + s.tee.packetsLost, 0)],
    ['siphon_pulls', 'gauge', 'Pulls on this relay', () => relay.pulls.all().length],
    ['siphon_pulls_playing', 'gauge', 'Pulls in state PLAYING', () => relay.pulls.all().filter((p) => p.state === 'PLAYING').length],
    ['siphon_recordings', 'gauge', 'Recordings writing a file now', () => relay.recordings.all().filter((r) => !r.ended).length],
    ['siphon_recordings_failed', 'gauge', 'Recordings of this run that ended failed (ffmpeg died, disk full)', () => relay.recordings.all().filter((r) => r.recState === 'failed').length],
    ['siphon_wcs_pushes', 'gauge', '/pull/push es: local streams published to remote WCS servers (any state)', () => relay.wcsPushes.all().length],
    ['siphon_wcs_pushes_publishing', 'gauge', '/pull/push es in state PUBLISHING', () => relay.wcsPushes.all().filter((p) => p.pushState === 'PUBLISHING').length],
    ['siphon_janus_sessions', 'gauge', 'Sessions Janus holds (Admin API; -1 when unknown)', async () => (await inventory()).sessions ?? -1],
    ['siphon_janus_mountpoints', 'gauge', 'Mountpoints Janus holds (Admin API; -1 when unknown)', async () => (await inventory()).mountpoints ?? -1],
    ['siphon_janus_handles', 'gauge', 'Plugin handles Janus holds: WebRTC legs and the relay\'s own (Admin API; -1 when unknown)', async () => (await inventory()).handles ?? -1],
    ['siphon_event_loop_lag_p99_ms', 'gauge', 'p99 event-loop delay since the previous scrape', () => lagP99SinceLastScrape(relay.eventLoopLag)],
    ['siphon_udp_pairs', 'gauge', 'UDP port pairs the tee holds', () => teePorts.size],
    ['siphon_process_rss_bytes', 'gauge', 'Resident memory of the relay process', () => process.memoryUsage.rss()],
    ['siphon_process_heap_used_bytes', 'gauge', 'V8 heap in use (live objects and garbage not yet collected)', () => process.memoryUsage().heapUsed],
    ['siphon_process_heap_total_bytes', 'gauge', 'V8 heap reserved (what the heap holds from the OS)', () => process.memoryUsage().heapTotal],
    ['siphon_process_external_bytes', 'gauge', 'Memory of Buffers and other objects outside the V8 heap', () => process.memoryUsage().external],
    ['siphon_v8_new_space_bytes', 'gauge', 'V8 young generation size (grows with allocation rate)', space('new_space')],
    ['siphon_v8_code_space_bytes', 'gauge', 'V8 compiled code size', space('code_space')],
  ];
}

const HLS_STATES = ['idle', 'starting', 'running', 'restarting', 'stopped'] as const;

function hlsRows(relay: RelayView): Row[] {
  const { hls } = relay;
  const served = (what: keyof typeof hls.totals) => () => hls.totals[what];
  return [
    ['siphon_hls_viewers', 'gauge', 'HLS clients that asked for something in the last 10 s', () => hls.all().reduce((n, s) => n + hls.viewers(s.id), 0)],
    ['siphon_hls_transcoding', 'gauge', 'HLS outputs encoding video (the source is not H.264)', () => hls.all().filter((s) => s.transcodes).length],
    ['siphon_hls_window_bytes', 'gauge', 'Media the HLS windows hold in memory', () => hls.all().reduce((n, s) => n + s.window.bytes, 0)],
    ['siphon_hls_outputs_opened_total', 'counter', 'HLS outputs started (first request or auto start)', served('opened')],
    ['siphon_hls_playlists_served_total', 'counter', 'HLS playlists served', served('playlists')],
    ['siphon_hls_parts_served_total', 'counter', 'LL-HLS parts served', served('parts')],
    ['siphon_hls_segments_served_total', 'counter', 'HLS segments served', served('segments')],
    ['siphon_hls_bytes_served_total', 'counter', 'HLS bytes served (playlists and media)', served('bytes')],
  ];
}

function gauge(register: Registry, name: string, help: string, read: Read): void {
  new Gauge({ name, help, registers: [register], async collect() { this.set(await read()); } });
}

/** The relay keeps running totals; the counter follows their highest value, so a scrape never sees it go down. */
function counter(register: Registry, name: string, help: string, read: Read): void {
  let seen = 0;
  new Counter({
    name, help, registers: [register],
    async collect() {
      const now = await read();
      if (now > seen) this.inc(now - seen);
      seen = Math.max(seen, now);
    },
  });
}

/** The window restarts at every scrape, so the value is the lag between two scrapes, not since start. */
function lagP99SinceLastScrape(lag: RelayView['eventLoopLag']): number {
  const ms = lag.count ? lag.percentile(99) / 1e6 : 0;
  lag.reset();
  return Math.round(ms * 100) / 100;
}

/** prom-client collects all metrics of a scrape at once: the two Janus gauges share one Admin API round trip. */
function oncePerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  const clear = () => { pending = undefined; };
  return () => {
    if (!pending) {
      pending = read();
      pending.then(clear, clear);
    }
    return pending;
  };
}
