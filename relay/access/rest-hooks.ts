/**
 * WCS's REST hooks, as a WCS backend sees them: for each client action the relay POSTs JSON to
 * `<app URL>/<method>` (the app chosen by the client's `appKey`), optionally signed with
 * `Authorization: WCS <hex HMAC-MD5 of the body>`, and reads the answer: 200 with a JSON body, or a refusal.
 * What a refusal means for the action is the caller's (access-control.ts); this file only carries the call, applies
 * the connect answer's `restClientConfig` (`restPolicy`, `restExclude`, `restOverwrite`) and tells an answer from
 * an unreachable backend. A backend outage is logged once when it starts and once when it ends, not per request.
 */
import { createHmac } from 'node:crypto';
import type { Logger } from '../log.ts';

export const HOOK_METHODS = ['connect', 'publishStream', 'playStream', 'playHLS', 'OnDataEvent', 'StreamStatusEvent',
  'ConnectionStatusEvent', 'StreamKeepAliveEvent'] as const;
export type HookMethod = typeof HOOK_METHODS[number];
/** What an app gets when its configuration names no methods: all but the periodic keep-alive, which WCS also makes opt-in. */
export const DEFAULT_HOOK_METHODS: readonly HookMethod[] = HOOK_METHODS.filter((m) => m !== 'StreamKeepAliveEvent');

export interface HookApp {
  url: string;
  methods: ReadonlySet<HookMethod>;
}

/** One method's entry of `restClientConfig` in the connect answer (WCS names; `clientExclude` is not applied). */
export interface MethodPolicy {
  restOnError?: 'LOG' | 'FAIL';
  restPolicy?: 'NOTIFY' | 'OVERWRITE' | 'DISABLE';
  restExclude?: string;
  restOverwrite?: string;
}
export type RestClientConfig = Partial<Record<HookMethod, MethodPolicy>>;

export type HookAnswer =
  | { kind: 'allowed'; body: Record<string, unknown>; overwrite: Record<string, unknown> }
  | { kind: 'refused'; status: number }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'not_sent' };

export interface RestHooksOptions {
  /** appKey → app. */
  apps: ReadonlyMap<string, HookApp>;
  timeoutMs: number;
  /** rest_hook_secret_key: signs every body when set. */
  secret: string;
  log: Logger;
}

export class RestHooks {
  #down = false;

  constructor(private readonly options: RestHooksOptions) {}

  get configured(): boolean {
    return this.options.apps.size > 0;
  }

  /** Whether `method` is sent for clients of `appKey` (an unknown appKey has no app: nothing is sent). */
  sends(appKey: string, method: HookMethod, policy?: MethodPolicy): boolean {
    return !!this.options.apps.get(appKey)?.methods.has(method) && policy?.restPolicy !== 'DISABLE';
  }

  async call(appKey: string, method: HookMethod, body: Record<string, unknown>, policy?: MethodPolicy): Promise<HookAnswer> {
    const app = this.options.apps.get(appKey);
    if (!app || !this.sends(appKey, method, policy)) return { kind: 'not_sent' };
    const text = JSON.stringify(excluding(body, policy?.restExclude));
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.secret) headers.authorization = `WCS ${createHmac('md5', this.options.secret).update(text).digest('hex')}`;
    let res: Response;
    try {
      res = await fetch(`${app.url.replace(/\/+$/, '')}/${method}`, { method: 'POST', headers, body: text, signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (err) {
      return this.unreachable(method, (err as Error).name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : describe(err));
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      this.reachable();
      return { kind: 'refused', status: res.status };
    }
    const answer = await res.json().catch(() => undefined) as unknown;
    if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return this.unreachable(method, 'the answer is not a JSON object');
    this.reachable();
    return { kind: 'allowed', body: answer as Record<string, unknown>, overwrite: overwritten(answer as Record<string, unknown>, policy) };
  }

  private unreachable(method: HookMethod, reason: string): HookAnswer {
    if (!this.#down) this.options.log.warn('hooks.backend_down', { method, reason });
    this.#down = true;
    return { kind: 'unreachable', reason };
  }

  private reachable(): void {
    if (this.#down) this.options.log.info('hooks.backend_up', {});
    this.#down = false;
  }
}

const list = (csv: string | undefined) => (csv ?? '').split(',').map((f) => f.trim()).filter(Boolean);

function excluding(body: Record<string, unknown>, restExclude: string | undefined): Record<string, unknown> {
  const drop = new Set(list(restExclude));
  return drop.size ? Object.fromEntries(Object.entries(body).filter(([k]) => !drop.has(k))) : body;
}

/** restPolicy OVERWRITE: the answer's values of the fields restOverwrite names replace the client's. */
function overwritten(answer: Record<string, unknown>, policy: MethodPolicy | undefined): Record<string, unknown> {
  if (policy?.restPolicy !== 'OVERWRITE') return {};
  return Object.fromEntries(list(policy.restOverwrite).filter((f) => f in answer).map((f) => [f, answer[f]]));
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

/** restClientConfig as a backend sent it, kept to the methods and values Siphon knows. */
export function readRestClientConfig(value: unknown): RestClientConfig {
  if (typeof value !== 'object' || value === null) return {};
  const out: RestClientConfig = {};
  for (const method of HOOK_METHODS) {
    const p = (value as Record<string, unknown>)[method] as Record<string, unknown> | undefined;
    if (typeof p !== 'object' || p === null) continue;
    out[method] = {
      ...(p.restOnError === 'LOG' || p.restOnError === 'FAIL' ? { restOnError: p.restOnError } : {}),
      ...(p.restPolicy === 'NOTIFY' || p.restPolicy === 'OVERWRITE' || p.restPolicy === 'DISABLE' ? { restPolicy: p.restPolicy } : {}),
      ...(typeof p.restExclude === 'string' ? { restExclude: p.restExclude } : {}),
      ...(typeof p.restOverwrite === 'string' ? { restOverwrite: p.restOverwrite } : {}),
    };
  }
  return out;
}
