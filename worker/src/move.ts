/**
 * Moving one replica of a pull to another relay, the same way for reconciliation (its relay failed for
 * MOVE_AFTER_SECONDS) and for a drain: started on the target with epoch + 1, then moved by compare-and-set, so two
 * movers cannot both move it; the loser stops the copy it started.
 */
import type { Placement, StoredPull } from './edge-state.ts';
import { rendezvous, RelayClient, type RelayConfig } from './relays.ts';
import { startOnRelay } from './pulls.ts';
import { claims } from './state.ts';
import { log } from './log.ts';

/** How long a drain waits for the new copy to play before the old one stops. */
const PLAYING_WAIT_MS = 10_000;
const PLAYING_POLL_MS = 250;

export const pullRequestOf = (r: StoredPull) => ({ uri: r.uri, remoteStreamName: r.remoteStreamName, localStreamName: r.localStreamName });

/**
 * The first healthy relay in rendezvous order that is not draining and holds neither a replica nor an on-demand copy
 * of `r` (a relay runs one pull per name).
 */
export async function nextHealthy(env: Env, relays: RelayConfig[], r: StoredPull): Promise<RelayClient | undefined> {
  const copies = new Set((await claims(env).copies(r.localStreamName)).map((c) => c.relay));
  for (const relay of rendezvous(relays, r.localStreamName)) {
    if (relay.draining || copies.has(relay.id) || r.placements.some((p) => p.relay === relay.id)) continue;
    const client = new RelayClient(relay);
    if (await client.healthy()) return client;
  }
  return undefined;
}

/** Whether `target` plays `name` within `waitMs` (a drain keeps the old copy until then; a viewer is held until then). */
export async function playsWithin(target: RelayClient, name: string, waitMs = PLAYING_WAIT_MS): Promise<boolean> {
  const until = Date.now() + waitMs;
  while (Date.now() < until) {
    const live = await target.findAll().catch(() => []);
    if (live.some((p) => p.localStreamName === name && p.status === 'PLAYING')) return true;
    await new Promise((resolve) => setTimeout(resolve, PLAYING_POLL_MS));
  }
  return false;
}

/**
 * Moves replica `p` of `r` to the next healthy relay; mutates `p` to the new placement and returns the target's id.
 * `waitPlaying`: a drain, whose old copy still plays, waits for the new one first so its viewers find it playing.
 */
export async function moveReplica(env: Env, relays: RelayConfig[], r: StoredPull, p: Placement, waitPlaying = false): Promise<string> {
  const target = await nextHealthy(env, relays, r);
  if (!target) throw new Error(`no healthy relay to move it to from ${p.relay}`);
  await startOnRelay(target, { ...pullRequestOf(r), epoch: p.epoch + 1 });
  if (waitPlaying && !await playsWithin(target, r.localStreamName)) {
    log('edge.move_not_playing_yet', { localStreamName: r.localStreamName, to: target.relay.id, waitedMs: PLAYING_WAIT_MS });
  }
  if (await claims(env).move(r.localStreamName, p.relay, p.epoch, target.relay.id) === null) {
    await target.terminate(r.localStreamName); // someone moved or ended it meanwhile: this copy is not placed
    throw new Error('its placement changed while it was being moved');
  }
  log('edge.pull_moved', { localStreamName: r.localStreamName, from: p.relay, to: target.relay.id, epoch: p.epoch + 1 });
  p.relay = target.relay.id;
  p.epoch += 1;
  return target.relay.id;
}
