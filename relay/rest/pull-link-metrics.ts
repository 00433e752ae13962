/**
 * /metrics per pull: each live pull's link (`PullLink`), labelled by its local stream name. Every scrape rebuilds
 * the series from the pulls there are, so a pull that ends takes its series with it and the label set never
 * outgrows the live pulls. A figure not known yet (null) has no series rather than a made-up 0.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { PullLink } from '../../contract/pull.ts';
import type { RelayView } from './relay-view.ts';

type Figure = [name: string, type: 'gauge' | 'counter', help: string, read: (link: PullLink) => number | null];

export const PULL_LINK_METRICS: Figure[] = [
  ['siphon_pull_rtt_ms', 'gauge', 'Round trip from a pull to its origin', (l) => l.rttMs],
  ['siphon_pull_loss_percent', 'gauge', 'Packets a pull lost on its WebRTC leg before NACK repair, % of those expected (latest ~5 s sample)', (l) => l.lossPct],
  ['siphon_pull_loss_after_repair_percent', 'gauge', 'Packets still missing where a pull hands RTP to the relay, % of those expected (latest ~5 s sample)', (l) => l.lossAfterRepairPct],
  ['siphon_pull_nacks_sent_total', 'counter', 'Packets a pull NACKed to its origin', (l) => l.nacksSent],
  ['siphon_pull_retransmissions_received_total', 'counter', 'Retransmitted packets a pull received', (l) => l.retransmissionsReceived],
  ['siphon_pull_keyframe_requests_total', 'counter', 'Keyframe requests (PLI) a pull sent to its origin', (l) => l.keyframeRequests],
  ['siphon_pull_unrepaired_gaps_total', 'counter', 'Gaps Janus gave up repairing on a pull\'s leg (patched Janus only)', (l) => l.unrepairedGaps],
  ['siphon_pull_repaired_late_total', 'counter', 'Repaired packets that came back after a pull\'s playout buffer had let later ones go', (l) => l.repairedLate],
  ['siphon_pull_slowlink_events_total', 'counter', 'Janus slowlink events on a pull\'s leg', (l) => l.slowlinkEvents],
];

export function addPullLinkMetrics(register: Registry, pulls: RelayView['pulls']): void {
  for (const [name, type, help, read] of PULL_LINK_METRICS) {
    const Metric = type === 'gauge' ? Gauge : Counter;
    new Metric({
      name, help, labelNames: ['stream'], registers: [register],
      collect(this: Gauge | Counter) {
        this.reset();
        for (const pull of pulls.all()) {
          const value = read(pull.link);
          if (value === null) continue;
          // A counter is rebuilt at its pull's running total: it only drops when the pull is gone and made again.
          if (this instanceof Gauge) this.set({ stream: pull.spec.localStreamName }, value);
          else this.inc({ stream: pull.spec.localStreamName }, value);
        }
      },
    });
  }
}
