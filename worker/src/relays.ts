/**
 * The relays behind the edge, from configuration: `RELAYS` (a var: JSON `[{"id","url"}]`) and
 * `RELAY_TOKENS` (a secret: JSON `{"<id>": "<bearer token>"}`). Placement is rendezvous hashing on
 * the local stream name over the relays that pass a health check, so a name lands on the same relay
 * every time while that relay is healthy.
 */
import { z } from '@hono/zod-openapi';
import { apiError, ErrorBody } from '../../contract/error-body.ts';
import { RelayPullRecord } from '../../contract/pull.ts';
import { revokeBodyOf, type Revocation } from '../../contract/access.ts';
import { rendezvous } from '../../contract/rendezvous.ts';
import type { RelayLoad } from '../../contract/membership.ts';

export { rendezvous };

export interface RelayConfig {
  id: string; url: string; token?: string;
  /** The relay's HLS port (`SIPHON_HLS_PORT`), for the edge's /hls/ route. */
  hls?: string;
  /** Viewers it is meant to serve (default 500): /rest-api/play sends a viewer where the most are left. */
  capacity?: number;
  /** A label: pulls and viewers stay in their region first. */
  region?: string;
  /** Being drained: takes no new pulls or viewers (a member, `POST /rest-api/relay/drain`). */
  draining?: boolean;
  /** Joined by itself (members.ts), not listed in RELAYS. */
  member?: boolean;
  /** A member's load at its last heartbeat. */
  load?: RelayLoad;
}

const HEALTH_TIMEOUT_MS = 2000;
/** A relay that just answered /health is not asked again for this long (per isolate); failures are not cached. */
const HEALTHY_FOR_MS = 3000;
const healthyUntil = new Map<string, number>();
const CALL_TIMEOUT_MS = 10_000;

export function readRelays(env: Pick<Env, 'RELAYS' | 'RELAY_TOKENS'>): RelayConfig[] {
  let list: unknown;
  let tokens: Record<string, string> = {};
  try {
    list = JSON.parse(env.RELAYS ?? '[]');
    tokens = env.RELAY_TOKENS ? JSON.parse(env.RELAY_TOKENS) as Record<string, string> : {};
  } catch {
    throw apiError(500, 'misconfigured', 'RELAYS or RELAY_TOKENS is not valid JSON');
  }
  if (!Array.isArray(list) || list.some((r) => typeof r?.id !== 'string' || typeof r?.url !== 'string')) {
    throw apiError(500, 'misconfigured', 'RELAYS must be a JSON array of {"id","url"}');
  }
  return (list as RelayConfig[]).map((r) => ({
    id: r.id, url: r.url.replace(/\/+$/, ''), token: tokens[r.id], hls: typeof r.hls === 'string' ? r.hls.replace(/\/+$/, '') : undefined,
    capacity: typeof r.capacity === 'number' ? r.capacity : undefined, region: typeof r.region === 'string' ? r.region : undefined,
  }));
}

/** A relay failed or could not be reached; `unreachable` distinguishes the two (503 vs 502). */
export class RelayCallError extends Error {
  constructor(readonly relay: string, readonly unreachable: boolean, message: string) { super(message); }
}

export class RelayClient {
  constructor(readonly relay: RelayConfig) {}

  private async call(path: string, init: RequestInit, timeoutMs = CALL_TIMEOUT_MS): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.relay.token) headers.set('authorization', `Bearer ${this.relay.token}`);
    if (init.body) headers.set('content-type', 'application/json');
    try {
      return await fetch(`${this.relay.url}${path}`, { ...init, headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new RelayCallError(this.relay.id, true, `relay ${this.relay.id} (${this.relay.url}) is unreachable: ${(err as Error).message}`);
    }
  }

  async healthy(): Promise<boolean> {
    if ((healthyUntil.get(this.relay.url) ?? 0) > Date.now()) return true;
    try {
      const ok = (await this.call('/health', { method: 'GET' }, HEALTH_TIMEOUT_MS)).status === 200;
      if (ok) healthyUntil.set(this.relay.url, Date.now() + HEALTHY_FOR_MS);
      else healthyUntil.delete(this.relay.url);
      return ok;
    } catch {
      healthyUntil.delete(this.relay.url);
      return false;
    }
  }

  /** What the relay answered, read with the contract's schema: anything else is the relay's fault (502). */
  private async read<T extends z.ZodType>(res: Response, schema: T, what: string): Promise<z.infer<T>> {
    const parsed = schema.safeParse(await res.json().catch(() => undefined));
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw new RelayCallError(this.relay.id, false,
      `relay ${this.relay.id} answered ${what} with a body the edge does not understand (${issue?.path.join('.') || 'body'}: ${issue?.message})`);
  }

  /** POST a pull: the relay's record, or its refusal (status and error body). */
  async pull(body: object): Promise<{ status: 200; record: RelayPullRecord } | { status: number; error: Partial<ErrorBody> }> {
    const res = await this.call('/rest-api/pull/pull', { method: 'POST', body: JSON.stringify(body) });
    if (res.status === 200) return { status: 200, record: await this.read(res, RelayPullRecord, 'a pull') };
    const error = ErrorBody.safeParse(await res.json().catch(() => undefined));
    return { status: res.status, error: error.success ? error.data : {} };
  }

  /**
   * How many viewers the relay serves now (SDK players, viewer-page sessions, WHEP, HLS), from its /metrics, and how
   * many WebRTC viewers it says it takes (`siphon_viewer_capacity`; undefined when it sets no limit) with how many of
   * those it has (`siphon_webrtc_viewers`).
   */
  async load(): Promise<{ viewers: number; capacity?: { max: number; used: number } }> {
    const res = await this.call('/metrics', { method: 'GET' }, HEALTH_TIMEOUT_MS);
    if (res.status !== 200) throw new RelayCallError(this.relay.id, false, `relay ${this.relay.id} answered /metrics with ${res.status}`);
    const text = await res.text();
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+(?:\\.\\d+)?)$`, 'm').exec(text)?.[1] ?? 0);
    const viewers = gauge('siphon_players') + gauge('siphon_viewers') + gauge('siphon_whep_sessions') + gauge('siphon_hls_viewers');
    const max = gauge('siphon_viewer_capacity');
    return max > 0 ? { viewers, capacity: { max, used: gauge('siphon_webrtc_viewers') } } : { viewers };
  }

  /** The relay's statistics page as JSON (`/?action=stat&format=json`). */
  async stat(): Promise<Record<string, Record<string, number>>> {
    const res = await this.call('/?action=stat&format=json', { method: 'GET' }, HEALTH_TIMEOUT_MS);
    if (res.status !== 200) throw new RelayCallError(this.relay.id, false, `relay ${this.relay.id} answered ?action=stat with ${res.status}`);
    return res.json();
  }

  async findAll(): Promise<RelayPullRecord[]> {
    const res = await this.call('/rest-api/pull/find_all', { method: 'POST' });
    if (res.status === 404) return [];
    if (res.status !== 200) throw new RelayCallError(this.relay.id, false, `relay ${this.relay.id} answered find_all with ${res.status}`);
    return this.read(res, z.array(RelayPullRecord), 'find_all');
  }

  /** Sends a revocation: how many sessions the relay ended. */
  async revoke(r: Revocation): Promise<number> {
    const res = await this.call('/rest-api/access/revoke', { method: 'POST', body: JSON.stringify(revokeBodyOf(r)) }, HEALTH_TIMEOUT_MS);
    if (res.status !== 200) throw new RelayCallError(this.relay.id, false, `relay ${this.relay.id} answered revoke with ${res.status}`);
    return (await this.read(res, z.object({ ended: z.number() }).passthrough(), 'revoke')).ended;
  }

  /** Terminates by local name; a 404 (the relay no longer has it) counts as done. */
  async terminate(localStreamName: string): Promise<void> {
    const res = await this.call('/rest-api/pull/terminate', { method: 'POST', body: JSON.stringify({ localStreamName }) });
    if (res.status !== 200 && res.status !== 404) {
      throw new RelayCallError(this.relay.id, false, `relay ${this.relay.id} answered terminate with ${res.status}`);
    }
  }
}

/** The first `n` healthy relays in rendezvous order for `name`, or 503 when fewer are healthy. */
export async function placeMany(relays: RelayConfig[], name: string, n: number): Promise<RelayClient[]> {
  if (relays.length === 0) throw apiError(503, 'unavailable', 'no relays: none in RELAYS and none joined (SIPHON_EDGE_URL on a relay)');
  const chosen: RelayClient[] = [];
  for (const relay of rendezvous(relays.filter((r) => !r.draining), name)) {
    if (chosen.length === n) break;
    const client = new RelayClient(relay);
    if (await client.healthy()) chosen.push(client);
  }
  const ids = relays.map((r) => r.id).join(', ');
  if (chosen.length === 0) throw apiError(503, 'unavailable', `no healthy relay among ${ids}`);
  if (chosen.length < n) throw apiError(503, 'unavailable', `${chosen.length} healthy relay(s) among ${ids}; replicas: ${n} needed`);
  return chosen;
}
