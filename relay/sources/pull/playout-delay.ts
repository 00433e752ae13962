/**
 * How long a pulled stream's playout buffer (relay/media/playout-buffer.ts) holds packets: long enough for one
 * NACK round trip and its jitter, so a packet lost on the pull leg and retransmitted once is back in its place
 * before it leaves the relay. Nothing while the pull has repaired nothing (a clean link costs no latency); the
 * delay follows the measured round trip, and only a large change moves it (each move is a skip or a stall).
 */
import type { PullLink } from '../../../contract/pull.ts';

/**
 * One NACK round trip (the patched Janus's average, jitter included) × this, plus MARGIN_MS: a retransmission
 * later than average, and the wait for a gap to show (the next packet). Every ms here is latency for viewers.
 */
const RTT_FACTOR = 1;
const MARGIN_MS = 60;
/** A new figure within this share of the current one keeps the current one. */
const HYSTERESIS = 0.25;

export function playoutDelayMs(link: PullLink, currentMs: number, maxMs: number): number {
  if (maxMs <= 0) return 0;
  if (!link.retransmissionsReceived || link.rttMs === null) return currentMs;
  const wanted = Math.min(maxMs, Math.round(link.rttMs * RTT_FACTOR + MARGIN_MS));
  return Math.abs(wanted - currentMs) > currentMs * HYSTERESIS ? wanted : currentMs;
}
