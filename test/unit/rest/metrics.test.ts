/** /metrics' registry against a fake relay: values read at scrape time, counters that never go down, one registry per relay. */
import { describe, expect, it } from 'vitest';
import { metricsRegistry } from '../../../relay/rest/metrics.ts';
import { statPage } from '../../../relay/rest/stat-page.ts';
import { fakeRelay, linkOf } from '../fakes/fake-relay-view.ts';


const value = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

describe('metrics registry', () => {
  it('reads gauges from relay state, one Janus inventory per scrape, and resets the lag window', async () => {
    const { relay, state } = fakeRelay();
    const text = await metricsRegistry(relay).metrics();
    expect(text).toMatch(/^# TYPE siphon_streams gauge$/m);
    expect(text).toMatch(/^# TYPE siphon_media_bytes_in_total counter$/m);
    expect([value(text, 'siphon_streams'), value(text, 'siphon_udp_pairs'), value(text, 'siphon_viewers'), value(text, 'siphon_wcs_sessions')]).toEqual([1, 2, 4, 1]);
    expect([value(text, 'siphon_whep_sessions'), value(text, 'siphon_whip_sessions')]).toEqual([3, 1]);
    expect([value(text, 'siphon_rtmp_pushes'), value(text, 'siphon_rtmp_pushes_sending')]).toEqual([2, 1]);
    expect([value(text, 'siphon_wcs_pushes'), value(text, 'siphon_wcs_pushes_publishing')]).toEqual([3, 1]);
    expect(text.split('\n')).toContain('siphon_access_decisions_total{action="publish",protocol="whip",result="denied"} 2');
    for (const line of ['siphon_webhooks_total{result="delivered"} 7', 'siphon_webhooks_total{result="retried"} 3', 'siphon_webhooks_total{result="dropped"} 1', 'siphon_webhooks_waiting 2']) {
      expect(text.split('\n')).toContain(line);
    }
    expect([value(text, 'siphon_recordings'), value(text, 'siphon_recordings_failed')]).toEqual([1, 1]);
    expect([value(text, 'siphon_pulls'), value(text, 'siphon_pulls_playing'), value(text, 'siphon_janus_up')]).toEqual([2, 1, 1]);
    expect([value(text, 'siphon_janus_sessions'), value(text, 'siphon_janus_mountpoints')]).toEqual([3, -1]);
    expect(state.inventoryCalls).toBe(1);
    expect(value(text, 'siphon_event_loop_lag_p99_ms')).toBe(12.35);
    expect(state.lagResets).toBe(1);
    expect(value(text, 'siphon_process_rss_bytes')).toBeGreaterThan(0);
  });

  it('reports HLS: outputs by packager state, viewers, transcoding, memory and what was served', async () => {
    const text = await metricsRegistry(fakeRelay().relay).metrics();
    expect(text).toMatch(/^siphon_hls_packagers\{state="running"\} 1$/m);
    expect(text).toMatch(/^siphon_hls_packagers\{state="stopped"\} 1$/m);
    expect([value(text, 'siphon_hls_viewers'), value(text, 'siphon_hls_transcoding'), value(text, 'siphon_hls_window_bytes')]).toEqual([4, 1, 5000]);
    expect([value(text, 'siphon_hls_playlists_served_total'), value(text, 'siphon_hls_parts_served_total'),
      value(text, 'siphon_hls_segments_served_total'), value(text, 'siphon_hls_bytes_served_total')]).toEqual([10, 40, 3, 12345]);
  });

  it('counters follow the running totals and never go down, also when a closed stream moves to closedTotals late', async () => {
    const { relay, tee, state } = fakeRelay();
    const metrics = metricsRegistry(relay);
    expect(value(await metrics.metrics(), 'siphon_media_bytes_in_total')).toBe(1000);
    tee.bytesIn = 1500;
    state.restarts = 1;
    let text = await metrics.metrics();
    expect([value(text, 'siphon_media_bytes_in_total'), value(text, 'siphon_janus_restarts_total')]).toEqual([1500, 1]);
    state.streams = []; // the stream left the registry before its bytes reached closedTotals
    expect(value(await metrics.metrics(), 'siphon_media_bytes_in_total')).toBe(1500);
    state.closedTotals.bytesIn = 1600;
    text = await metrics.metrics();
    expect(value(text, 'siphon_media_bytes_in_total')).toBe(1600);
    expect(value(text, 'siphon_media_packets_lost')).toBe(0);
  });

  it('labels each pull\'s link by its stream, leaves out what is not known yet, and drops a pull\'s series when it ends', async () => {
    const { relay, state } = fakeRelay();
    const metrics = metricsRegistry(relay);
    let text = await metrics.metrics();
    expect(text).toMatch(/^# TYPE siphon_pull_nacks_sent_total counter$/m);
    expect(text).toMatch(/^# TYPE siphon_pull_rtt_ms gauge$/m);
    for (const line of ['siphon_pull_rtt_ms{stream="cam"} 42', 'siphon_pull_loss_percent{stream="cam"} 1.25',
      'siphon_pull_loss_after_repair_percent{stream="cam"} 0.1', 'siphon_pull_nacks_sent_total{stream="cam"} 30',
      'siphon_pull_retransmissions_received_total{stream="cam"} 28', 'siphon_pull_keyframe_requests_total{stream="cam"} 2',
      'siphon_pull_slowlink_events_total{stream="cam"} 1', 'siphon_pull_keyframe_requests_total{stream="far \\"away\\""} 0']) {
      expect(text.split('\n')).toContain(line);
    }
    expect(text).not.toMatch(/siphon_pull_rtt_ms\{stream="far/);
    expect(text).not.toMatch(/^siphon_pull_unrepaired_gaps_total\{/m);

    state.pulls[0]!.link = linkOf({ ...state.pulls[0]!.link, nacksSent: 45 });
    expect((await metrics.metrics()).split('\n')).toContain('siphon_pull_nacks_sent_total{stream="cam"} 45');
    state.pulls.splice(0, 1);
    text = await metrics.metrics();
    expect(text).not.toMatch(/stream="cam"/);
    expect(text.split('\n')).toContain('siphon_pull_slowlink_events_total{stream="far \\"away\\""} 0');
  });

  it('the statistics page sums the live pulls\' NACKs and unrepaired gaps (it lists no pulls one by one)', async () => {
    const { relay, state } = fakeRelay();
    state.pulls[1]!.link = linkOf({ nacksSent: 12, unrepairedGaps: 3 });
    const page = statPage({ metrics: metricsRegistry(relay), mediaPairs: 10 });
    const json = JSON.parse((await page('json')).body) as Record<string, Record<string, number>>;
    expect(json.pulls_stats).toEqual({ pulls: 2, pulls_playing: 1, pulls_not_playing: 1, pulls_nacks_sent: 42, pulls_unrepaired_gaps: 3 });
  });

  it('gives each relay its own registry with prom-client default metrics and the Prometheus content type', async () => {
    const a = metricsRegistry(fakeRelay().relay);
    const b = metricsRegistry(fakeRelay().relay);
    expect(a).not.toBe(b);
    const text = await b.metrics();
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^# TYPE nodejs_gc_duration_seconds histogram$/m);
    expect(a.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});
