/**
 * The one place that decides who may connect, publish and play, on every protocol. Two sources, each used when
 * configured and both required when both are: signed tokens (token-verifier.ts; no I/O after the first check of
 * a token) and WCS REST hooks (rest-hooks.ts; the backend's answer). Nothing configured: everyone is admitted, as
 * before, and the relay says so at start.
 *
 * Failing closed: a refused or unreachable hook refuses `connect` always (as WCS does) and publish/play unless the
 * operator chose WCS's `LOG` (SIPHON_REST_HOOKS_ON_ERROR, or the backend's restClientConfig). An unreachable
 * backend still admits a viewer the backend admitted to the same stream within the grace window, so a backend
 * restart does not stop an audience that reconnects.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../log.ts';
import type { Webhooks } from '../webhooks/webhooks.ts';
import { covers } from './permission.ts';
import { readRestClientConfig, type HookMethod, type MethodPolicy, type RestClientConfig, type RestHooks } from './rest-hooks.ts';
import { TokenError, type Grant, type TokenVerifier } from './token-verifier.ts';
import { AccessLease, type LeaseEnd, type LeaseHolder } from './access-lease.ts';
import { endsSession, Revocations } from './revocations.ts';
import type { Revocation } from '../../contract/access.ts';
import type { ViewerCapacity } from './viewer-capacity.ts';
import type { NameMasks } from './name-masks.ts';

export type Protocol = 'wcs' | 'whip' | 'whep' | 'hls' | 'viewer';
export type AccessAction = 'connect' | 'publish' | 'play';

export interface AccessRequest {
  action: AccessAction;
  protocol: Protocol;
  /** Not for connect. */
  stream?: string;
  /** The credential as the client gave it, if any. */
  token?: string;
  /** Who asks, for the grace window when no token names them: the client's address (no port). */
  client: string;
  /** The WCS hook: which app, the body WCS would send, the session's restClientConfig. */
  hook?: { appKey: string; body: Record<string, unknown>; policies?: RestClientConfig };
  /**
   * Share this decision with identical requests (same action, protocol, stream, app and principal): those in flight
   * wait for it, and an admission is reused for this long (a refusal for 2 s). HLS players reload their playlist
   * every part; this makes that one hook call per viewer session, not one per reload.
   */
  shareMs?: number;
  /** A one-off look (a snapshot): decided as a play, but it takes no viewer's place. */
  seatless?: true;
}

export type Decision =
  | { allow: true; grant?: Grant; overwrite: Record<string, unknown>; restClientConfig?: RestClientConfig }
  /** `full`: refused for want of room (viewer-capacity.ts), not of access: come back later or go elsewhere. */
  | { allow: false; status: 401 | 403 | 503; reason: string; full?: true };

export interface AccessOptions {
  tokens: TokenVerifier;
  hooks: RestHooks;
  /** What a refused or unreachable publish/play hook means when the backend's restClientConfig does not say. */
  onError: 'FAIL' | 'LOG';
  graceMs: number;
  log: Logger;
  /** Where a refusal is reported (`access.denied`), besides the log. */
  webhooks: Webhooks;
  /** How many WebRTC viewers the relay takes; none: no limit. */
  capacity?: ViewerCapacity;
  /** Which names may be published and played (SIPHON_ALLOW_PUBLISH_NAMES, SIPHON_ALLOW_PLAY_NAMES). */
  names?: { publish: NameMasks; play: NameMasks };
}

const MAX_REMEMBERED = 10_000;
const REFUSAL_SHARED_MS = 2000;

export class AccessControl {
  readonly #grants = new Map<string, Promise<Grant>>();
  readonly #admitted = new Map<string, number>();
  readonly #counts = new Map<string, number>();
  readonly #shared = new Map<string, { decision: Promise<Decision>; until: number }>();
  readonly #leases = new Set<AccessLease>();
  readonly #revocations = new Revocations((r) => this.options.log.warn('access.revocation_dropped',
    { sub: r.sub, jti: r.jti, stream: r.stream, reason: 'over 10000 revocations in force; the oldest goes first' }));

  constructor(private readonly options: AccessOptions) {}

  /** Whether anything guards this relay (else it is open to anyone who reaches it). */
  get configured(): boolean {
    return this.options.tokens.configured || this.options.hooks.configured;
  }

  /** Why `name` may not be published or played here (SIPHON_ALLOW_*_NAMES), or undefined; checked open or not. */
  nameRefusal(action: 'publish' | 'play', name: string): string | undefined {
    const why = this.options.names?.[action].refusal(name);
    return why && `the name "${name}" may not be ${action === 'publish' ? 'published' : 'played'} here: ${why}`;
  }

  get tokensConfigured(): boolean {
    return this.options.tokens.configured;
  }

  /**
   * Who a credential names once verified: its `sub`, else the credential itself (hashed); undefined for no credential
   * or one that does not verify. WHIP/WHEP resources are bound to it, so a session URL is useless to anyone else.
   */
  async principal(token: string | undefined): Promise<string | undefined> {
    if (!token) return undefined;
    if (!this.options.tokens.configured) return principalOf(token, '');
    const grant = await this.#grantOf(token).catch(() => undefined);
    return grant ? principalOf(token, '', grant) : undefined;
  }

  /** The grant a fresh credential carries (a session refreshing its access), or undefined when it does not verify. */
  async grant(token: string): Promise<Grant | undefined> {
    if (!this.options.tokens.configured) return undefined;
    const grant = await this.#grantOf(token).catch(() => undefined);
    if (!grant || (grant.expiresAt !== undefined && grant.expiresAt <= Date.now())) return undefined;
    return this.#revocations.refuses(grant, undefined) ? undefined : grant;
  }

  /** A session admitted by `grant` (none: a hook's or an open relay's admission) holds its access until `onEnd`. */
  lease(stream: string, holder: LeaseHolder, grant: Grant | undefined, onEnd: (why: LeaseEnd) => void): AccessLease {
    return new AccessLease(stream, holder, grant, onEnd, this.#leases);
  }

  /** Sessions holding access now. */
  get leases(): number { return this.#leases.size; }

  /** Revocations in force. */
  get revocations(): number { return this.#revocations.size; }

  /**
   * Takes access away: matching sessions end now, on every protocol, and matching tokens are refused from now on
   * (shared decisions are forgotten, so HLS viewers meet it at their next playlist request). Returns how many ended.
   */
  revoke(r: Revocation): number {
    // A repeat (the edge sends its list again every minute) changes nothing: what it ends ended the first time.
    if (!this.#revocations.add(r)) return 0;
    this.#shared.clear();
    if (r.stream !== undefined) for (const key of [...this.#admitted.keys()]) if (key.endsWith(`|${r.stream}`)) this.#admitted.delete(key);
    let ended = 0;
    for (const lease of [...this.#leases]) {
      if (!endsSession(r, lease)) continue;
      lease.end('revoked');
      ended++;
      const by = r.jti !== undefined ? 'jti' : r.sub !== undefined ? `sub "${r.sub}"` : 'stream';
      this.options.webhooks.emit('access.revoked', lease.stream, { ...lease.holder, reason: `revoked by ${by}` });
    }
    this.options.log.info('access.revoked', { sub: r.sub, jti: r.jti, stream: r.stream, ended, until: new Date(r.until).toISOString() });
    return ended;
  }

  /** Decisions so far: `action|protocol|result` → count. */
  get counts(): ReadonlyMap<string, number> {
    return this.#counts;
  }

  decide(req: AccessRequest): Promise<Decision> {
    if (!req.shareMs) return this.#decideAndCount(req);
    const key = [req.action, req.protocol, req.stream, req.hook?.appKey, principalOf(req.token, req.client)].join('|');
    const known = this.#shared.get(key);
    if (known && known.until > Date.now()) return known.decision;
    const entry = { decision: this.#decideAndCount(req), until: Date.now() + req.shareMs };
    this.#remember(this.#shared, key, entry);
    void entry.decision.then((d) => {
      entry.until = Math.min(entry.until, d.allow ? (d.grant?.expiresAt ?? Infinity) : Date.now() + REFUSAL_SHARED_MS);
    });
    return entry.decision;
  }

  async #decideAndCount(req: AccessRequest): Promise<Decision> {
    const decision = await this.#decide(req);
    const key = `${req.action}|${req.protocol}|${decision.allow ? 'allowed' : 'denied'}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    if (!decision.allow) {
      this.options.log.warn('access.denied', { action: req.action, protocol: req.protocol, stream: req.stream, client: req.client, reason: decision.reason });
      this.options.webhooks.emit('access.denied', req.stream ?? null,
        { action: req.action, protocol: req.protocol, status: decision.status, reason: decision.reason, client: req.client });
    }
    return decision;
  }

  async #decide(req: AccessRequest): Promise<Decision> {
    // First: a full relay refuses without asking the backend about a viewer it cannot take anyway.
    const full = req.action === 'play' && req.protocol !== 'hls' && !req.seatless ? this.options.capacity?.full() : undefined;
    if (full) return { allow: false, status: 503, reason: full, full: true };
    const byName = req.stream && req.action !== 'connect' ? this.nameRefusal(req.action, req.stream) : undefined;
    if (byName) return { allow: false, status: 403, reason: byName };
    const byToken = await this.#checkToken(req);
    if ('allow' in byToken) return byToken;
    const byHook = await this.#checkHook(req, byToken.grant);
    if (byHook.allow) {
      if (req.stream) this.#remember(this.#admitted, `${principalOf(req.token, req.client, byToken.grant)}|${req.stream}`, Date.now());
      return { ...byHook, ...(byToken.grant ? { grant: byToken.grant } : {}) };
    }
    return byHook;
  }

  async #checkToken(req: AccessRequest): Promise<{ grant?: Grant } | Decision & { allow: false }> {
    if (!this.options.tokens.configured) return {};
    if (!req.token) return req.action === 'connect' ? {} : { allow: false, status: 401, reason: 'a token is required' };
    let grant: Grant;
    try {
      grant = await this.#grantOf(req.token);
    } catch (err) {
      return { allow: false, status: 401, reason: `invalid token: ${err instanceof TokenError ? err.message : 'not a valid token'}` };
    }
    if (grant.expiresAt !== undefined && grant.expiresAt <= Date.now()) return { allow: false, status: 401, reason: 'invalid token: expired' };
    const revoked = this.#revocations.refuses(grant, req.stream);
    if (revoked) return { allow: false, status: 401, reason: `invalid token: ${revoked}` };
    if (req.stream && req.action !== 'connect' && !covers(grant.permissions, req.action, req.stream)) {
      return { allow: false, status: 403, reason: `the token does not allow ${req.action} of "${req.stream}"` };
    }
    return { grant };
  }

  /** A token is verified once; the promise is shared by concurrent checks and kept until the token expires. */
  #grantOf(token: string): Promise<Grant> {
    const key = createHash('sha256').update(token).digest('base64url');
    const known = this.#grants.get(key);
    if (known) return known;
    const grant = this.options.tokens.verify(token);
    this.#remember(this.#grants, key, grant);
    grant.then((g) => { if (g.expiresAt) setTimeout(() => this.#grants.delete(key), Math.min(g.expiresAt - Date.now(), 2 ** 31 - 1)).unref(); },
      () => this.#grants.delete(key));
    return grant;
  }

  async #checkHook(req: AccessRequest, grant: Grant | undefined): Promise<Decision> {
    const hook = req.hook;
    const method = hookMethod(req);
    const policy: MethodPolicy | undefined = hook?.policies?.[method];
    if (!hook || !this.options.hooks.sends(hook.appKey, method, policy)) return { allow: true, overwrite: {} };
    const answer = await this.options.hooks.call(hook.appKey, method, hook.body, policy);
    switch (answer.kind) {
      case 'allowed': case 'not_sent': {
        const overwrite = answer.kind === 'allowed' ? answer.overwrite : {};
        if (req.action !== 'connect' || answer.kind !== 'allowed') return { allow: true, overwrite };
        return { allow: true, overwrite, restClientConfig: readRestClientConfig(answer.body.restClientConfig) };
      }
      case 'refused': return this.#onHookError(req, policy, 403, `the backend refused ${method} (HTTP ${answer.status})`);
      case 'unreachable': {
        const since = this.#admitted.get(`${principalOf(req.token, req.client, grant)}|${req.stream}`);
        if (req.action === 'play' && since !== undefined && Date.now() - since < this.options.graceMs) return { allow: true, overwrite: {} };
        return this.#onHookError(req, policy, 503, `the access backend is unavailable (${answer.reason})`);
      }
    }
  }

  /** An event hook (StreamStatusEvent, ConnectionStatusEvent…): sent when the app has it; the answer changes nothing. */
  notify(appKey: string, method: HookMethod, body: Record<string, unknown>, policies?: RestClientConfig): void {
    void this.options.hooks.call(appKey, method, body, policies?.[method]).then((answer) => {
      if (answer.kind === 'refused') this.options.log.debug('hooks.event_refused', { method, status: answer.status });
    });
  }

  /** Whether the app gets `method` (a session decides whether to start its keep-alive). */
  sends(appKey: string, method: HookMethod, policies?: RestClientConfig): boolean {
    return this.options.hooks.sends(appKey, method, policies?.[method]);
  }

  /** StreamKeepAliveEvent: why the backend ends the stream (a refusal, unless restOnError LOG), or undefined. */
  async keepAlive(appKey: string, body: Record<string, unknown>, policies?: RestClientConfig): Promise<string | undefined> {
    const answer = await this.options.hooks.call(appKey, 'StreamKeepAliveEvent', body, policies?.StreamKeepAliveEvent);
    if (answer.kind !== 'refused' || (policies?.StreamKeepAliveEvent?.restOnError ?? this.options.onError) === 'LOG') return undefined;
    this.options.log.info('access.keepalive_refused', { stream: body.name, status: answer.status });
    return `the backend refused StreamKeepAliveEvent (HTTP ${answer.status})`;
  }

  /** A direct invocation that admits nothing (OnDataEvent): whether it goes ahead, by the same restOnError rule. */
  async invoke(appKey: string, method: HookMethod, body: Record<string, unknown>, policies?: RestClientConfig): Promise<boolean> {
    const answer = await this.options.hooks.call(appKey, method, body, policies?.[method]);
    if (answer.kind === 'allowed' || answer.kind === 'not_sent') return true;
    return (policies?.[method]?.restOnError ?? this.options.onError) === 'LOG';
  }

  #onHookError(req: AccessRequest, policy: MethodPolicy | undefined, status: 403 | 503, reason: string): Decision {
    const onError = policy?.restOnError ?? this.options.onError;
    if (req.action === 'connect' || onError === 'FAIL') return { allow: false, status, reason };
    this.options.log.info('access.hook_error_ignored', { action: req.action, protocol: req.protocol, stream: req.stream, reason, restOnError: 'LOG' });
    return { allow: true, overwrite: {} };
  }

  #remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value!);
  }
}

/** Who asks: the token's `sub`, else the token itself (hashed), else the client's address. */
function principalOf(token: string | undefined, client: string, grant?: Grant): string {
  if (grant?.sub) return `sub:${grant.sub}`;
  if (token) return `token:${createHash('sha256').update(token).digest('base64url')}`;
  return `client:${client}`;
}

function hookMethod(req: AccessRequest): HookMethod {
  if (req.action === 'connect') return 'connect';
  if (req.action === 'publish') return 'publishStream';
  return req.protocol === 'hls' ? 'playHLS' : 'playStream';
}
