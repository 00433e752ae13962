/**
 * The edge's pull operations. Each either completes or leaves nothing behind: a refused or failed
 * relay call releases the name claim and writes no record.
 */
import { apiError } from '../../contract/error-body.ts';
import type { StoredPull } from './edge-state.ts';
import { placeMany, RelayCallError, RelayClient } from './relays.ts';
import { relaysOf } from './members.ts';
import { claims, writes } from './state.ts';
import { log } from './log.ts';
import type { PullRecord, PullRequest, RelayPullRecord, TerminateRequest } from '../../contract/pull.ts';



function relayFailure(err: unknown): never {
  if (err instanceof RelayCallError) throw apiError(err.unreachable ? 503 : 502, err.unreachable ? 'relay_unreachable' : 'relay_error', err.message);
  throw err;
}

/** Starts `req` on `relay` (with the placement's epoch); maps the relay's refusal to the same code with the relay named. */
export async function startOnRelay(relay: RelayClient, req: Omit<PullRequest, 'replicas'> & { epoch: number }): Promise<RelayPullRecord> {
  const res = await relay.pull(req).catch(async (err: unknown) => {
    // The relay may have started the pull and answered something we cannot read: stop it, or it runs unrecorded.
    if (err instanceof RelayCallError && !err.unreachable) {
      await relay.terminate(req.localStreamName).catch((cleanup: Error) =>
        log('edge.cleanup_failed', { localStreamName: req.localStreamName, relay: relay.relay.id, reason: cleanup.message }));
    }
    return relayFailure(err);
  });
  if ('record' in res) return res.record;
  const message = res.error.message ?? `status ${res.status}`;
  if (res.status === 400 || res.status === 403 || res.status === 409) {
    throw apiError(res.status, res.error.error ?? 'refused', `relay ${relay.relay.id}: ${message}`);
  }
  throw apiError(502, 'relay_error', `relay ${relay.relay.id} answered ${res.status}: ${message}`);
}

/** `key`: the name of the API key that asked, for the log. */
export async function createPull(env: Env, req: PullRequest, key: string): Promise<PullRecord> {
  const owner = crypto.randomUUID();
  const relays = await relaysOf(env);
  const replicas = req.replicas ?? 1;
  if (replicas > Math.max(1, relays.length)) throw apiError(400, 'bad_request', `replicas: at most ${relays.length} (the relays in RELAYS and the members)`);
  if (!await claims(env).claim(req.localStreamName, owner)) {
    throw apiError(409, 'conflict', `localStreamName "${req.localStreamName}" is already pulled`);
  }
  const started: RelayClient[] = [];
  try {
    const { replicas: _, ...pull } = req;
    let primary: RelayPullRecord | undefined;
    for (const relay of await placeMany(relays, req.localStreamName, replicas)) {
      const live = await startOnRelay(relay, { ...pull, epoch: 1 });
      started.push(relay);
      primary ??= live;
    }
    const stored: StoredPull = {
      uri: req.uri, remoteStreamName: req.remoteStreamName, localStreamName: req.localStreamName, claim: owner, created: new Date().toISOString(),
      replicas, placements: started.map((r) => ({ relay: r.relay.id, epoch: 1 })),
    };
    writes.count += 1;
    if (!await claims(env).commit(stored)) throw apiError(409, 'conflict', `localStreamName "${req.localStreamName}" was released while it was being placed`);
    log('edge.pull_created', { localStreamName: req.localStreamName, relays: started.map((r) => r.relay.id), uri: req.uri, key });
    return toRecord(stored, primary!);
  } catch (err) {
    // Best effort: without a record no replica may keep running; if a stop fails, say so in the log.
    for (const relay of started) {
      await relay.terminate(req.localStreamName).catch((cleanup: Error) =>
        log('edge.cleanup_failed', { localStreamName: req.localStreamName, relay: relay.relay.id, reason: cleanup.message }));
    }
    await claims(env).release(req.localStreamName, owner);
    log('edge.pull_refused', { localStreamName: req.localStreamName, reason: (err as Error).message });
    throw err;
  }
}

export type Live = Partial<RelayPullRecord> & Pick<RelayPullRecord, 'status' | 'info'>;

/** The edge's record: what it stored, with the primary's live view (or just a status and why) over it, and each replica's. */
export function toRecord(s: StoredPull, live: Live, replicas: (Live & { relay: string; epoch: number; children?: string[] })[] = []): PullRecord {
  const primary = s.placements[0];
  return {
    ...live,
    localMediaSessionId: live.localMediaSessionId ?? null,
    remoteMediaSessionId: live.remoteMediaSessionId ?? null,
    localStreamName: s.localStreamName, remoteStreamName: s.remoteStreamName, uri: s.uri,
    relay: primary?.relay ?? '', epoch: primary?.epoch ?? null, created: s.created,
    replicas: replicas.map((r) => ({ relay: r.relay, epoch: r.epoch, status: r.status, info: r.info, ...(r.children ? { children: r.children } : {}) })),
  };
}

export async function terminate(env: Env, f: TerminateRequest, key: string): Promise<PullRecord[]> {
  // By local name (what WCS tools send) is one row; other filters scan the records.
  const candidates = f.localStreamName !== undefined
    ? [await claims(env).get(f.localStreamName)].filter((r): r is StoredPull => r !== null)
    : await claims(env).list();
  const matched = candidates.filter((r) => (f.uri === undefined || r.uri === f.uri)
    && (f.localStreamName === undefined || r.localStreamName === f.localStreamName)
    && (f.remoteStreamName === undefined || r.remoteStreamName === f.remoteStreamName));
  if (matched.length === 0) throw apiError(404, 'not_found', 'no pull matches');
  const relays = new Map((await relaysOf(env)).map((r) => [r.id, r]));
  for (const r of matched) {
    for (const p of r.placements) {
      const cfg = relays.get(p.relay);
      if (cfg) await new RelayClient(cfg).terminate(r.localStreamName).catch(relayFailure);
    }
    // Its on-demand copies too (best effort: one left running is fenced by reconciliation).
    for (const c of await claims(env).copies(r.localStreamName)) {
      const cfg = relays.get(c.relay);
      if (cfg) await new RelayClient(cfg).terminate(r.localStreamName).catch((err: Error) => log('edge.cleanup_failed', { localStreamName: r.localStreamName, relay: c.relay, reason: err.message }));
    }
    writes.count += 1;
    await claims(env).release(r.localStreamName, r.claim);
    log('edge.pull_terminated', { localStreamName: r.localStreamName, relays: r.placements.map((p) => p.relay), key });
  }
  return matched.map((r) => toRecord(r, { status: 'TERMINATED', info: 'Stopped by rest /terminate' }));
}
