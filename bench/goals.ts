/**
 * What Siphon promises in numbers, each tied to the figure of a benchmark result (bench/results/<result>.json)
 * that shows it. `npm run bench:summary` renders this list, with the newest results, as the "Goals at a glance"
 * table of bench/RESULTS.md.
 */
export interface Goal {
  /** The promise, as its issue put it. */
  goal: string;
  /** The result file's name without `.json`: `b1`, `b12-rtt100-loss2`, `r1`. */
  result: string;
  figure: string;
  unit: string;
  /** Met when the figure is at most `max` / at least `min`; `atMostBaseline`: at most the same run's baseline. */
  max?: number;
  min?: number;
  atMostBaseline?: boolean;
  /** The baseline figure shown beside it (same run), if the result has one. */
  baseline?: string;
  issue?: number;
}

const b12 = (condition: string) => `b12-${condition}`;

export const goals: Goal[] = [
  { goal: 'B1 pull setup p50 ≤ 1 s (REST → PLAYING → first painted frame), clean link', result: 'b1', figure: 'totalP50Ms', unit: 'ms', max: 1000 },
  { goal: 'B1 pull setup p95 ≤ 0.5 s, clean link', result: 'b1', figure: 'totalP95Ms', unit: 'ms', max: 500, issue: 21 },
  { goal: 'B1 viewer watch → first painted frame p95 ≤ 400 ms', result: 'b1', figure: 'viewerP95Ms', unit: 'ms', max: 400, issue: 13 },
  { goal: 'B1 pull setup p95 ≤ 1 s across 100 ms RTT', result: 'b1-rtt100', figure: 'totalP95Ms', unit: 'ms', max: 1000, issue: 21 },
  { goal: 'B2 viewer join p50 ≤ 0.5 s, ≥ 10 s between keyframes', result: 'b1', figure: 'joinP50Ms', unit: 'ms', max: 500 },
  { goal: 'B9 WHEP join p50 ≤ 0.3 s (POST → first painted frame, WHEPClient)', result: 'b9', figure: 'whepJoinP50Ms', unit: 'ms', max: 300, baseline: 'joinP50Ms', issue: 12 },
  ...[1, 10, 20, 40].map((n): Goal => ({
    goal: `B3 relay CPU per pulled 2.4 Mbit/s stream ≤ the werift baseline's, N = ${n}`, result: 'b3', figure: `n${n}.cpuPctPerStream`,
    unit: '% of a core', atMostBaseline: true, baseline: `n${n}.cpuPctPerStream`,
  })),
  { goal: 'B3 no loss at N = 40', result: 'b3', figure: 'n40.lossPct', unit: '%', max: 0, baseline: 'n40.lossPct' },
  { goal: 'B3 added latency at N = 20, p50 (reported)', result: 'b3', figure: 'n20.addedLatencyP50Ms', unit: 'ms', baseline: 'n20.addedLatencyP50Ms' },
  { goal: 'B4 origin back → pull PLAYING p50 ≤ 2 s', result: 'b4', figure: 'originBackP50Ms', unit: 'ms', max: 2000 },
  { goal: "B4 SIGKILL of B's Janus → pull PLAYING p50 ≤ 1.5 s", result: 'b4', figure: 'janusKillP50Ms', unit: 'ms', max: 1500, issue: 13 },
  { goal: 'B5 find_all p99 ≤ 100 ms over 1000 records, one client', result: 'b5', figure: 'findAllP99Ms', unit: 'ms', max: 100, issue: 15 },
  { goal: 'B5 find_all p99 ≤ 300 ms over 10 000 records, one client', result: 'b5-records10000', figure: 'findAllP99Ms', unit: 'ms', max: 300, issue: 15 },
  { goal: 'B5 find_all p99 ≤ 300 ms over 10 000 records, 8 clients', result: 'b5-records10000', figure: 'findAllConcurrentP99Ms', unit: 'ms', max: 300, issue: 15 },
  { goal: 'B6 relay RSS within 10 % after 500 pull/terminate cycles', result: 'b6', figure: 'rssGrowthPct', unit: '%', max: 10 },
  { goal: 'B6 fds, UDP pairs, Janus sessions and mountpoints back at baseline', result: 'b6', figure: 'resourcesLeft', unit: 'left over', max: 0 },
  { goal: 'B7 LL-HLS glass-to-glass p50 ≤ 1.5 s', result: 'b7', figure: 'llhls.g2gP50Ms', unit: 'ms', max: 1500 },
  { goal: 'B7 classic HLS glass-to-glass p50 ≤ 4 s', result: 'b7', figure: 'hls.g2gP50Ms', unit: 'ms', max: 4000 },
  { goal: 'B7 first playlist request → first frame p50 ≤ 1.5 s, H.264 passed through', result: 'b7', figure: 'h264.firstFrameP50Ms', unit: 'ms', max: 1500 },
  { goal: 'B7 first playlist request → first frame p50 ≤ 1.5 s, VP8 → x264', result: 'b7', figure: 'vp8.firstFrameP50Ms', unit: 'ms', max: 1500 },
  { goal: 'B8 relay CPU per 2.4 Mbit/s H.264 pass-through HLS stream ≤ 1 % of a core', result: 'b8', figure: 'cpuPctPerHlsStream', unit: '% of a core', max: 1 },
  { goal: 'B8 LL-HLS viewers of one stream per core of the relay ≥ 500', result: 'b8', figure: 'viewersPerCore', unit: 'viewers', min: 500 },
  { goal: 'B10 RTMP push start → first video packet at a player (reported)', result: 'b10', figure: 'startP50Ms', unit: 'ms', issue: 16 },
  { goal: 'B11 relay requests per media object for clients of the edge’s /hls/ ≤ 2', result: 'b11', figure: 'relayRequestsPerObject', unit: 'requests', max: 2, issue: 15 },
  { goal: 'B11 busiest relay with 60 HLS viewers over replicas: 2 (reported)', result: 'b11', figure: 'busiestRelayCpuPct', unit: '% of a core', baseline: 'busiestRelayCpuPct', issue: 15 },
  { goal: 'B13 WHEP viewers per core at 1 Mbps ≥ 400, ≤ 0.1 % loss (served from the mountpoint; AES_CM_128_HMAC_SHA1_80, what browsers that offer get)', result: 'b13-cm', figure: 'k1000.viewersPerCore', unit: 'viewers', min: 400, baseline: 'k1000.viewersPerCore', issue: 24 },
  { goal: 'B13 SDK Players per core at 1 Mbps ≥ 200 (the same path and profile as WHEP)', result: 'b13-cm', figure: 'k1000.viewersPerCore', unit: 'viewers', min: 200, baseline: 'k1000.viewersPerCore', issue: 24 },
  { goal: 'B13 Streaming mountpoint viewers (the viewer page, AES-GCM) per core at 1 Mbps ≥ 400, ≤ 0.1 % loss', result: 'b13-mountpoint', figure: 'k1000.viewersPerCore', unit: 'viewers', min: 400, baseline: 'k1000.viewersPerCore', issue: 24 },
  { goal: 'B13 WHEP viewers per core at 1 Mbps, AES-GCM legs (reported)', result: 'b13', figure: 'k1000.viewersPerCore', unit: 'viewers', baseline: 'k1000.viewersPerCore', issue: 24 },
  { goal: 'B13 WHEP viewers per core at 1 Mbps before the patch, players on the tee, CM legs (reported)', result: 'b13-cm', figure: 'tee.k1000.viewersPerCore', unit: 'viewers', baseline: 'k1000.viewersPerCore', issue: 24 },
  { goal: 'B13 mountpoint viewers per core at 1 Mbps, AES_CM_128_HMAC_SHA1_80 legs (reported)', result: 'b13-mountpoint-cm', figure: 'k1000.viewersPerCore', unit: 'viewers', baseline: 'k1000.viewersPerCore', issue: 24 },
  { goal: 'B13 memory ≤ 1 MB per viewer, 1 Mbps', result: 'b13', figure: 'k1000.mbPerViewer', unit: 'MB', max: 1, baseline: 'k1000.mbPerViewer', issue: 24 },
  { goal: 'B13 past capacity: newcomers refused, the viewers served lose ≤ 0.1 %', result: 'b13-cap20', figure: 'k1000.pastCapacityLossPct', unit: '%', max: 0.1, issue: 24 },
  { goal: 'B12 freeze ratio ≤ 0.5 % on every viewer kind on B, 100 ms RTT, 2 % loss', result: b12('rtt100-loss2'), figure: 'frozenPctMax', unit: '%', max: 0.5, baseline: 'frozenPctMax', issue: 21 },
  { goal: 'B12 ≤ 1 freeze a minute, 100 ms RTT, 2 % loss', result: b12('rtt100-loss2'), figure: 'freezesPerMinMax', unit: '/min', max: 1, baseline: 'freezesPerMinMax', issue: 21 },
  { goal: 'B12 the relay hop adds ≤ 0.2 points of freeze ratio over the direct viewer, 2 % loss', result: b12('rtt100-loss2'), figure: 'hopAddsPointsMax', unit: 'points', max: 0.2, issue: 21 },
  { goal: 'B12 packets lost after repair ≤ 0.01 %, 2 % loss', result: b12('rtt100-loss2'), figure: 'lossAfterRepairPctMax', unit: '%', max: 0.01, issue: 21 },
  { goal: 'B12 audio concealment ≤ 1 %, 2 % loss', result: b12('rtt100-loss2'), figure: 'audioConcealedPctMax', unit: '%', max: 1, baseline: 'audioConcealedPctMax', issue: 21 },
  { goal: 'B12 the pull on its first attempt, 2 % loss', result: b12('rtt100-loss2'), figure: 'pullAttemptsMax', unit: 'attempts', max: 1, issue: 21 },
  { goal: 'B12 glass-to-glass p50 through B, 2 % loss (reported)', result: b12('rtt100-loss2'), figure: 'g2gP50MsMax', unit: 'ms', baseline: 'g2gP50MsMax', issue: 21 },
  { goal: 'B12 freeze ratio ≤ 2 %, 5 % loss', result: b12('loss5'), figure: 'frozenPctMax', unit: '%', max: 2, baseline: 'frozenPctMax', issue: 21 },
  { goal: 'B12 a pull link capped below the stream’s rate (reported)', result: b12('cap'), figure: 'frozenPctMax', unit: '%', baseline: 'frozenPctMax', issue: 21 },
  { goal: 'Link emulator ≤ 5 % of a core per 1000 packets/s', result: 'linkem', figure: 'cpuPctPer1000PacketsPerS', unit: '% of a core', max: 5, issue: 21 },
  { goal: 'Link emulator ≤ 0.5 ms beyond the delay it is told', result: 'linkem', figure: 'beyondToldMs', unit: 'ms', max: 0.5, issue: 21 },
  { goal: 'R1 link back → pull PLAYING ≤ 1.5 s', result: 'r1', figure: 'playingAfterLinkBackMs', unit: 'ms', max: 1500, issue: 13 },
  { goal: 'R2 Janus SIGKILLed → pull PLAYING (reported)', result: 'r2', figure: 'pullPlayingAfterKillMs', unit: 'ms' },
  { goal: 'R2 Janus SIGKILLed → the viewer page playing (reported)', result: 'r2', figure: 'viewerPlayingAfterKillMs', unit: 'ms' },
  { goal: 'R3 relay restarted under the edge → every pull PLAYING after one scheduled run (reported)', result: 'r3', figure: 'allPlayingAfterScheduledRunMs', unit: 'ms' },
  { goal: 'R4 malformed REST requests to the relay: no 5xx', result: 'r4-relay', figure: 'answered5xx', unit: 'answers', max: 0 },
  { goal: 'R4 malformed REST requests to the edge: no 5xx', result: 'r4-edge', figure: 'answered5xx', unit: 'answers', max: 0 },
  { goal: 'R5 hostile WCS frames at the server: relay RSS growth (reported; the test bounds it at 150 MB)', result: 'r5-server', figure: 'rssGrowthMb', unit: 'MB' },
  { goal: 'R6 relay REST without its token → 401', result: 'r6', figure: 'statusWithoutToken', unit: '', min: 401, max: 401 },
  { goal: 'R6 a pull outside pull_allowed_origins → 403, nothing dialled', result: 'r6', figure: 'statusOutsideOrigins', unit: '', min: 403, max: 403 },
  { goal: 'R7 partitioned relay fenced: the origin serves exactly one pull', result: 'r7', figure: 'originPlayersAfterFencing', unit: 'pulls', max: 1, issue: 15 },
  { goal: 'R10 hostile attempts at a guarded relay (no, expired, forged, out-of-scope tokens; tampered HLS session paths; foreign WHEP session URLs): none admitted', result: 'r10', figure: 'admitted', unit: 'admitted', max: 0, issue: 23 },
  { goal: 'R9 2 minutes across 100 ms RTT, 2 % loss: frozen (reported; the test bounds it at 1.5 %)', result: 'r9', figure: 'frozenPct', unit: '%', issue: 21 },
  { goal: 'B14 viewer page on a relay that lacks the stream: edge request → first painted frame p95 ≤ 1.5 s', result: 'b14', figure: 'webrtc.lackingP95Ms', unit: 'ms', max: 1500, baseline: 'webrtc.holdingP95Ms', issue: 25 },
  { goal: 'B14 WHEP on a relay that lacks the stream: edge request → first painted frame p95 ≤ 1.5 s', result: 'b14', figure: 'whep.lackingP95Ms', unit: 'ms', max: 1500, baseline: 'whep.holdingP95Ms', issue: 25 },
  { goal: 'B14 HLS on a relay that lacks the stream: edge request → first frame p95 ≤ 2.5 s', result: 'b14', figure: 'hls.lackingP95Ms', unit: 'ms', max: 2500, baseline: 'hls.holdingP95Ms', issue: 25 },
  { goal: 'B14 a relay SIGKILLed: its viewers (and its child\'s) play again through other relays within 5 s', result: 'b14', figure: 'killRecoveryMs', unit: 'ms', max: 5000, issue: 25 },
  { goal: 'B14 a relay SIGKILLed: its child copy re-parents and plays within 2 s', result: 'b14', figure: 'reparentMs', unit: 'ms', max: 2000, issue: 25 },
  { goal: 'B14 drain: no viewer without frames for more than 2 s', result: 'b14', figure: 'drainGapMs', unit: 'ms', max: 2000, issue: 25 },
  { goal: 'B14 a new relay takes viewers within 10 s of its process starting', result: 'b14', figure: 'newRelayMs', unit: 'ms', max: 10000, issue: 25 },
  { goal: 'B15 pulls a stream\'s root feeds ≤ FANOUT (4), 1000 relays, 1 M viewers (simulation)', result: 'b15', figure: 'maxRootFeeds', unit: 'pulls', max: 4, issue: 25 },
  { goal: 'B15 tree depth, max (simulation, reported)', result: 'b15', figure: 'maxDepth', unit: 'levels', issue: 25 },
  { goal: 'B15 one placement p99 (simulation, reported)', result: 'b15', figure: 'placementP99Us', unit: 'µs', issue: 25 },
  { goal: 'B15 Durable Object operations/s in the busiest second (simulation, reported)', result: 'b15', figure: 'doOpsPerSecondPeak', unit: 'ops/s', issue: 25 },
];
