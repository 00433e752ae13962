/** The access control a relay's settings describe (relay/config.ts: SIPHON_REST_HOOKS_*, SIPHON_TOKEN_*, SIPHON_ACCESS_*). */
import { z } from 'zod';
import { ConfigError, refuseUrlCredentials, type Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { ViewerCapacity } from './viewer-capacity.ts';
import type { Webhooks } from '../webhooks/webhooks.ts';
import { AccessControl } from './access-control.ts';
import { NameMasks } from './name-masks.ts';
import { HOOK_METHODS, RestHooks, type HookApp, type HookMethod } from './rest-hooks.ts';
import { TokenVerifier } from './token-verifier.ts';

const method = z.enum(HOOK_METHODS);
const appsSchema = z.record(z.string().min(1), z.union([z.url(), z.object({ url: z.url(), methods: z.array(method).optional() }).strict()]));

export function hookApps(config: Pick<Config, 'restHooksUrl' | 'restHooksApps' | 'restHooksMethods'>): Map<string, HookApp> {
  const unknown = config.restHooksMethods.filter((m) => !method.safeParse(m).success);
  if (unknown.length) throw new ConfigError(`SIPHON_REST_HOOKS_METHODS: unknown ${unknown.join(', ')} (known: ${HOOK_METHODS.join(', ')})`);
  const defaults = new Set(config.restHooksMethods as HookMethod[]);
  const apps = new Map<string, HookApp>();
  if (config.restHooksUrl) {
    if (!z.url().safeParse(config.restHooksUrl).success) throw new ConfigError(`SIPHON_REST_HOOKS_URL: not a URL`);
    refuseUrlCredentials('SIPHON_REST_HOOKS_URL', config.restHooksUrl);
    apps.set('defaultApp', { url: config.restHooksUrl, methods: defaults });
  }
  if (!config.restHooksApps) return apps;
  let parsed: unknown;
  try {
    parsed = JSON.parse(config.restHooksApps);
  } catch {
    throw new ConfigError('SIPHON_REST_HOOKS_APPS: not JSON; expected {"<appKey>": "<url>"} or {"<appKey>": {"url": …, "methods": […]}}');
  }
  const checked = appsSchema.safeParse(parsed);
  if (!checked.success) throw new ConfigError(`SIPHON_REST_HOOKS_APPS: ${checked.error.issues[0]?.path.join('.')}: ${checked.error.issues[0]?.message}`);
  for (const [appKey, app] of Object.entries(checked.data)) {
    refuseUrlCredentials(`SIPHON_REST_HOOKS_APPS.${appKey}`, typeof app === 'string' ? app : app.url);
    apps.set(appKey, typeof app === 'string' ? { url: app, methods: defaults } : { url: app.url, methods: new Set(app.methods ?? defaults) });
  }
  return apps;
}

export function accessControlFrom(config: Config, log: Logger, webhooks: Webhooks, capacity?: ViewerCapacity): AccessControl {
  return new AccessControl({
    tokens: new TokenVerifier({ secret: config.tokenSecret, publicKeys: config.tokenPublicKeys, jwksUrl: config.tokenJwksUrl }),
    hooks: new RestHooks({ apps: hookApps(config), timeoutMs: config.restHooksTimeoutMs, secret: config.restHooksSecret, log }),
    onError: config.restHooksOnError as 'FAIL' | 'LOG',
    graceMs: config.accessGraceMs,
    log,
    webhooks,
    capacity,
    names: { publish: new NameMasks(config.allowPublishNames), play: new NameMasks(config.allowPlayNames) },
  });
}
