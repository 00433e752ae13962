/** Prometheus text exposition of the relay's counters and gauges. */
import type { Relay } from '../relay.ts';

export function renderMetrics(relay: Relay): string {
  const streams = relay.ctx.registry.all();
  const media = relay.ctx.registry.allMediaSessions();
  const bytesIn = streams.reduce((n, s) => n + s.tee.bytesIn, 0) + relay.ctx.registry.closedTotals.bytesIn;
  const bytesOut = streams.reduce((n, s) => n + s.tee.bytesOut, 0) + relay.ctx.registry.closedTotals.bytesOut;
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
  ];
  return rows.map(([name, type, help, value]) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`).join('');
}
