/** Prometheus text exposition of the relay's counters and gauges. */
import { getHeapSpaceStatistics } from 'node:v8';
import type { Relay } from '../relay.ts';

export async function renderMetrics(relay: Relay): Promise<string> {
  const inventory = await relay.ctx.janus.inventory();
  const lag = relay.eventLoopLag;
  const lagP99 = lag.count ? lag.percentile(99) / 1e6 : 0;
  lag.reset();
  const streams = relay.ctx.registry.all();
  const media = relay.ctx.registry.allMediaSessions();
  const bytesIn = streams.reduce((n, s) => n + s.tee.bytesIn, 0) + relay.ctx.registry.closedTotals.bytesIn;
  const bytesOut = streams.reduce((n, s) => n + s.tee.bytesOut, 0) + relay.ctx.registry.closedTotals.bytesOut;
  const memory = process.memoryUsage();
  const spaces = getHeapSpaceStatistics();
  const space = (name: string) => spaces.find((sp) => sp.space_name === name)?.space_size ?? 0;
  const rows: [string, string, string, number][] = [
    ['siphon_streams', 'gauge', 'Live streams on this relay', streams.length],
    ['siphon_publishers', 'gauge', 'WCS publishers', media.filter((m) => m.role === 'publisher' && !m.isEnded).length],
    ['siphon_players', 'gauge', 'WCS-protocol players', media.filter((m) => m.role === 'player' && !m.isEnded).length],
    ['siphon_viewers', 'gauge', 'Viewer-page connections to mountpoints', relay.viewerProxy.connections],
    ['siphon_wcs_sessions', 'gauge', 'Open WCS Websocket sessions', relay.wcs.sessions.size],
    ['siphon_janus_up', 'gauge', '1 when Janus answers', relay.ctx.janus.state === 'up' ? 1 : 0],
    ['siphon_janus_restarts_total', 'counter', 'Janus restarts since start', relay.ctx.janus.restarts],
    ['siphon_media_bytes_in_total', 'counter', 'RTP bytes received from sources', bytesIn],
    ['siphon_media_bytes_out_total', 'counter', 'RTP bytes sent to mountpoints and players', bytesOut],
    ['siphon_media_packets_in_total', 'counter', 'RTP packets received from sources', streams.reduce((n, s) => n + s.tee.packetsIn, 0) + relay.ctx.registry.closedTotals.packetsIn],
    ['siphon_media_packets_lost', 'gauge', 'RTP packets missing from live sources (sequence gaps at the tee)', streams.reduce((n, s) => n + s.tee.packetsLost, 0)],
    ['siphon_pulls', 'gauge', 'Pulls on this relay', relay.pulls.all().length],
    ['siphon_pulls_playing', 'gauge', 'Pulls in state PLAYING', relay.pulls.all().filter((p) => p.state === 'PLAYING').length],
    ['siphon_janus_sessions', 'gauge', 'Sessions Janus holds (Admin API; -1 when unknown)', inventory.sessions ?? -1],
    ['siphon_janus_mountpoints', 'gauge', 'Mountpoints Janus holds (Admin API; -1 when unknown)', inventory.mountpoints ?? -1],
    ['siphon_event_loop_lag_p99_ms', 'gauge', 'p99 event-loop delay since the previous scrape', Math.round(lagP99 * 100) / 100],
    ['siphon_udp_pairs', 'gauge', 'UDP port pairs the tee holds', relay.ctx.teePorts.size],
    ['siphon_process_rss_bytes', 'gauge', 'Resident memory of the relay process', memory.rss],
    ['siphon_process_heap_used_bytes', 'gauge', 'V8 heap in use (live objects and garbage not yet collected)', memory.heapUsed],
    ['siphon_process_heap_total_bytes', 'gauge', 'V8 heap reserved (what the heap holds from the OS)', memory.heapTotal],
    ['siphon_process_external_bytes', 'gauge', 'Memory of Buffers and other objects outside the V8 heap', memory.external],
    ['siphon_v8_new_space_bytes', 'gauge', 'V8 young generation size (grows with allocation rate)', space('new_space')],
    ['siphon_v8_code_space_bytes', 'gauge', 'V8 compiled code size', space('code_space')],
  ];
  return rows.map(([name, type, help, value]) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`).join('');
}
