/**
 * The relay's one backoff, for every retry it makes by itself (pull attempts, Janus restarts, the demo
 * source): delay before retry `attempt` (1-based), exponential from 500 ms, capped, with jitter so that
 * many pulls of one failed origin do not reconnect in lockstep. The first retry always comes within 1 s.
 */
export function retryDelayMs(attempt: number, capMs: number, random: () => number = Math.random): number {
  const base = Math.min(capMs, 500 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.5 + random() * 0.5));
}
