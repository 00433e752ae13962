/**
 * The relay's membership at an edge (SIPHON_EDGE_URL): it joins with the join token, heartbeats its load with the
 * credential the edge gave it, joins again when the edge no longer knows it (the edge restarted its state, or counted
 * it gone and it was told so), and on shutdown leaves, which drains it: the edge moves its pulls to other relays
 * before the relay closes them.
 *
 *   joining ──200──▶ member ──SIGTERM──▶ leaving ──▶ left
 *      ▲  └─failure: THE backoff─┘ │
 *      └──────── 404 on a heartbeat ┘
 *
 * A rotated credential comes in a heartbeat's answer: the relay accepts both (`credentials()`) until a heartbeat with
 * the new one is answered, after which the edge uses only the new one.
 */
import { DemandAnswer, HeartbeatAnswer, JoinAnswer, type JoinRequest, type RelayLoad } from '../../contract/membership.ts';
import type { Logger } from '../log.ts';
import { Machine } from '../machine.ts';

export type MembershipState = 'joining' | 'member' | 'leaving' | 'left' | 'stopped';

const JOIN_RETRY_CAP_MS = 30_000;
const CALL_TIMEOUT_MS = 5_000;
/** The edge answers a demand once it has started the pull here. */
const DEMAND_TIMEOUT_MS = 10_000;
/** A leave waits for the edge to move every pull (each waits up to 10 s for its new copy to play). */
const LEAVE_TIMEOUT_MS = 60_000;

export interface EdgeMembershipOptions {
  edgeUrl: string;
  joinToken: string;
  join: JoinRequest;
  /** The load a heartbeat reports, read when it is sent. */
  load: () => RelayLoad;
  /** Streams the edge dropped (idle on-demand copies): the relay stops their pulls. */
  drop?: (names: string[]) => void;
  log: Logger;
  /** The one boundary: the edge. */
  fetch?: typeof fetch;
  random?: () => number;
}

/** The edge answered something other than what the call expects. */
export class EdgeCallError extends Error {
  override name = 'EdgeCallError';
  constructor(readonly status: number, message: string) { super(message); }
}

export class EdgeMembership {
  private readonly m: Machine<MembershipState>;
  private credential: string | undefined;
  /** The credential before a rotation, accepted until a heartbeat with the new one is answered. */
  private previous: string | undefined;
  private heartbeatMs = 5_000;
  private beatTimer: NodeJS.Timeout | undefined;
  private draining = false;

  constructor(private readonly o: EdgeMembershipOptions) {
    this.m = new Machine<MembershipState>({
      initial: 'joining', log: o.log, event: 'edge_link.state', infoField: 'info', newInfoIsTransition: true,
      ended: ['left', 'stopped'], retryCapMs: JOIN_RETRY_CAP_MS, random: o.random,
      extra: () => ({ edge: o.edgeUrl, relay: o.join.id }),
    });
  }

  get state(): MembershipState { return this.m.state; }

  /** The credentials the relay's REST accepts from the edge now (none before the first join). */
  credentials(): string[] {
    return [this.credential, this.previous].filter((c): c is string => c !== undefined);
  }

  start(): void { void this.join(); }

  private async join(): Promise<void> {
    const id = this.m.next();
    try {
      const res = await this.call('/rest-api/relay/join', this.o.join, this.o.joinToken);
      if (!this.m.current(id)) return;
      const answer = JoinAnswer.parse(await res.json());
      this.credential = answer.credential;
      this.previous = undefined;
      this.heartbeatMs = answer.heartbeatSeconds * 1000;
      this.m.succeeded();
      this.m.to('member', `joined; heartbeat every ${answer.heartbeatSeconds} s`);
      this.scheduleBeat(id);
    } catch (err) {
      if (!this.m.current(id)) return;
      this.m.to('joining', `join failed: ${(err as Error).message}`);
      this.m.retry(() => void this.join());
    }
  }

  private scheduleBeat(id: number, delayMs = this.heartbeatMs): void {
    clearTimeout(this.beatTimer);
    this.beatTimer = setTimeout(this.m.guard(id, () => void this.beat(id)), delayMs);
  }

  private async beat(id: number): Promise<void> {
    const sentWith = this.credential!;
    try {
      const res = await this.call('/rest-api/relay/heartbeat', { id: this.o.join.id, load: this.o.load() }, sentWith);
      if (!this.m.current(id)) return;
      const answer = HeartbeatAnswer.parse(await res.json());
      if (sentWith !== this.previous) this.previous = undefined; // the edge took the new one: the old is done
      if (answer.credential) {
        this.previous = this.credential;
        this.credential = answer.credential;
        this.o.log.info('edge_link.credential_rotated', { relay: this.o.join.id });
      }
      if (answer.drop?.length) this.o.drop?.(answer.drop);
      if (answer.returned) this.o.log.warn('edge_link.returned', { relay: this.o.join.id, info: 'the edge had counted this relay gone; it fences it now' });
      if ((answer.state === 'draining') !== this.draining) {
        this.draining = answer.state === 'draining';
        this.o.log.info('edge_link.draining', { relay: this.o.join.id, draining: this.draining });
      }
    } catch (err) {
      if (!this.m.current(id)) return;
      if (err instanceof EdgeCallError && err.status === 404) {
        this.m.to('joining', 'the edge no longer knows this relay: joining again');
        void this.join();
        return;
      }
      this.o.log.warn('edge_link.heartbeat_failed', { relay: this.o.join.id, reason: (err as Error).message });
    }
    if (this.m.current(id)) this.scheduleBeat(id);
  }

  /** A heartbeat now rather than at the next interval: a pull failed, and the edge may have a new parent for it. */
  beatSoon(): void {
    if (this.m.state !== 'member') return;
    this.scheduleBeat(this.m.generation, 0);
  }

  /**
   * Asks the edge for a copy of `stream` on this relay (a viewer asked for a stream it lacks): resolves once the edge
   * has started the pull here. Throws EdgeCallError with the edge's refusal (404: the edge has no such pull).
   */
  async demand(stream: string): Promise<DemandAnswer> {
    if (this.m.state !== 'member') throw new EdgeCallError(503, `not a member of ${this.o.edgeUrl} (${this.m.state})`);
    const res = await this.call('/rest-api/relay/demand', { id: this.o.join.id, stream }, this.credential!, DEMAND_TIMEOUT_MS);
    return DemandAnswer.parse(await res.json());
  }

  /** Leaves the edge, which first moves this relay's pulls elsewhere; resolves when the edge is done (or gave up). */
  async leave(): Promise<void> {
    if (this.m.state !== 'member') { this.close(); return; }
    this.m.next();
    clearTimeout(this.beatTimer);
    this.m.to('leaving', 'moving this relay\'s pulls to other relays');
    try {
      const res = await this.call('/rest-api/relay/leave', { id: this.o.join.id }, this.credential!, LEAVE_TIMEOUT_MS);
      const result = await res.json() as { moved?: unknown[]; failed?: unknown[]; dropped?: unknown[] };
      const dropped = result.dropped?.length ? `, stopped ${result.dropped.length} on-demand cop${result.dropped.length === 1 ? 'y' : 'ies'}` : '';
      this.m.to('left', `moved ${result.moved?.length ?? 0} pull(s)${dropped}${result.failed?.length ? `, ${result.failed.length} not moved (the edge retries)` : ''}`);
    } catch (err) {
      this.m.to('left', `the edge did not drain this relay: ${(err as Error).message}`);
    }
  }

  close(): void {
    clearTimeout(this.beatTimer);
    this.m.cancelRetry();
    this.m.to('stopped');
  }

  private async call(path: string, body: unknown, bearer: string, timeoutMs = CALL_TIMEOUT_MS): Promise<Response> {
    const res = await (this.o.fetch ?? fetch)(new URL(path, this.o.edgeUrl), {
      method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    });
    if (res.status === 200) return res;
    const error = await res.json().catch(() => ({})) as { error?: string; message?: string };
    throw new EdgeCallError(res.status, `${path} answered ${res.status}${error.message ? `: ${error.message}` : ''}`);
  }
}
