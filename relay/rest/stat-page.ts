/**
 * WCS's statistics page on the relay, `GET /?action=stat` (`&format=json`), what WCS's web console and monitoring
 * poll. Every number is read from the same gauges as /metrics (so the two agree), except the process's threads and
 * CPU (/proc, process.cpuUsage(): the relay's Node process, % of one core since the previous poll) and the host's
 * memory (what WCS's console shows as `system_*`, where WCS reports its JVM). WCS's own keys keep their names; the rest are Siphon's.
 */
import { readFileSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import type { Registry } from 'prom-client';
import { renderStatJson, renderStatText, STAT_TITLES, type StatGroup } from '../../contract/stat.ts';

export interface StatSources { metrics: Registry; mediaPairs: number }

/** The process's threads (Node's, libuv's pool, V8's): WCS's `core_threads`. */
function threads(): number {
  try {
    return Number(/^Threads:\s+(\d+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
  } catch {
    return 0; // not Linux: no /proc to read
  }
}

/** CPU of this process since the previous poll, in % of one core. */
function cpuSampler(): () => number {
  let last = { at: process.hrtime.bigint(), usage: process.cpuUsage() };
  return () => {
    const now = { at: process.hrtime.bigint(), usage: process.cpuUsage() };
    const wallUs = Number(now.at - last.at) / 1000;
    const cpuUs = now.usage.user - last.usage.user + now.usage.system - last.usage.system;
    last = now;
    return wallUs > 0 ? Math.round((cpuUs / wallUs) * 1000) / 10 : 0;
  };
}

export function statPage(sources: StatSources): (format: string | undefined) => Promise<{ json: boolean; body: string }> {
  const cpu = cpuSampler();
  const read = async (name: string) => (await sources.metrics.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;
  /** A per-pull metric summed over the live pulls (the page has no per-pull lines). */
  const sum = async (name: string) => (await sources.metrics.getSingleMetric(name)?.get())?.values.reduce((n, v) => n + v.value, 0) ?? 0;
  return async (format) => {
    const m: Record<string, number> = {};
    const cpuNow = cpu();
    for (const name of NAMES) m[name] = await read(`siphon_${name}`);
    const [nacksSent, unrepairedGaps] = [await sum('siphon_pull_nacks_sent_total'), await sum('siphon_pull_unrepaired_gaps_total')];
    const groups: StatGroup[] = [
      group('connections_stats', {
        connections: m.wcs_sessions! + m.viewers! + m.whep_sessions! + m.whip_sessions!,
        connections_websocket: m.wcs_sessions! + m.viewers!, connections_rtmfp: 0,
      }),
      group('port_stats', { ports_media_busy: m.udp_pairs!, ports_media_free: Math.max(0, sources.mediaPairs - m.udp_pairs!) }),
      group('streams_stats', {
        streams: m.streams!, streams_webrtc_in: m.publishers! + m.whip_sessions! + m.pulls_playing!, streams_webrtc_out: m.players! + m.viewers!,
        // Technologies Siphon does not take in or play out, there so WCS's console can add them up.
        streams_rtmp_in: 0, streams_rtsp_in: 0, streams_rtsp_out: 0, streams_rtmfp_in: 0, streams_rtmfp_out: 0,
        streams_rtmp_out: m.rtmp_pushes_sending!, streams_viewers: m.players! + m.viewers! + m.hls_viewers!,
        streams_published: m.publishers! + m.whip_sessions!, streams_pulled: m.pulls!, streams_pulled_playing: m.pulls_playing!,
      }),
      group('outputs_stats', {
        outputs_wcs_players: m.players! - m.whep_sessions!, outputs_whep: m.whep_sessions!, outputs_viewer_page: m.viewers!,
        outputs_hls_viewers: m.hls_viewers!, outputs_hls_transcoding: m.hls_transcoding!, outputs_rtmp_pushes: m.rtmp_pushes!,
        outputs_rtmp_pushes_sending: m.rtmp_pushes_sending!, outputs_wcs_pushes: m.wcs_pushes!, outputs_wcs_pushes_publishing: m.wcs_pushes_publishing!,
        outputs_recordings: m.recordings!, outputs_recordings_failed: m.recordings_failed!,
      }),
      group('pulls_stats', {
        pulls: m.pulls!, pulls_playing: m.pulls_playing!, pulls_not_playing: m.pulls! - m.pulls_playing!,
        pulls_nacks_sent: nacksSent, pulls_unrepaired_gaps: unrepairedGaps,
      }),
      group('core_stats', {
        core_threads: threads(), core_cpu_percent: cpuNow, core_memory_rss: m.process_rss_bytes!, core_heap_used: m.process_heap_used_bytes!,
        core_uptime_seconds: Math.round(process.uptime()),
      }),
      group('system_stats', { system_java_cpu_usage: cpuNow, system_memory_total: totalmem(), system_memory_free: freemem(), system_cpus: cpus().length }),
      group('janus_stats', { janus_up: m.janus_up!, janus_restarts: m.janus_restarts_total!, janus_handles: m.janus_handles! }),
    ];
    return format === 'json' ? { json: true, body: JSON.stringify(renderStatJson(groups)) } : { json: false, body: renderStatText(groups) };
  };
}

const group = (id: string, values: Record<string, number>): StatGroup => ({ id, title: STAT_TITLES[id]!, values });

const NAMES = ['wcs_sessions', 'viewers', 'whep_sessions', 'whip_sessions', 'udp_pairs', 'streams', 'publishers', 'players', 'pulls',
  'pulls_playing', 'rtmp_pushes', 'rtmp_pushes_sending', 'hls_viewers', 'hls_transcoding', 'wcs_pushes', 'wcs_pushes_publishing',
  'recordings', 'recordings_failed', 'process_rss_bytes', 'process_heap_used_bytes', 'janus_up', 'janus_restarts_total', 'janus_handles'] as const;
