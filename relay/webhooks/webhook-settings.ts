/** The webhooks a relay's settings describe (relay/config.ts: SIPHON_WEBHOOK_*); a setting that cannot work refuses the start. */
import { ConfigError, refuseUrlCredentials, type Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { WEBHOOK_TYPES, type WebhookType } from './webhook-events.ts';
import { fetchPost } from './webhook-post.ts';
import { signingKey } from './signature.ts';
import { Webhooks } from './webhooks.ts';

const MAKE_SECRET = 'make one with: echo "whsec_$(openssl rand -base64 32)"';

export function webhooksFrom(config: Pick<Config, 'webhookUrl' | 'webhookSecret' | 'webhookEvents' | 'webhookTimeoutMs'>, log: Logger, nodeId: string): Webhooks {
  const url = config.webhookUrl;
  if (url && !/^https?:$/.test(URL.parse(url)?.protocol ?? '')) throw new ConfigError('SIPHON_WEBHOOK_URL: not an http:// or https:// URL');
  if (url) refuseUrlCredentials('SIPHON_WEBHOOK_URL', url);
  // Unsigned notifications could be forged by anyone who finds the receiver: no URL without a key.
  if (url && !config.webhookSecret) throw new ConfigError(`SIPHON_WEBHOOK_URL is set but SIPHON_WEBHOOK_SECRET is not: webhooks are always signed; ${MAKE_SECRET}`);
  const key = config.webhookSecret ? signingKey(config.webhookSecret) : Buffer.alloc(0);
  if (typeof key === 'string') throw new ConfigError(`SIPHON_WEBHOOK_SECRET: ${key}; ${MAKE_SECRET}`);
  const unknown = config.webhookEvents.filter((t) => !(WEBHOOK_TYPES as string[]).includes(t));
  if (unknown.length) throw new ConfigError(`SIPHON_WEBHOOK_EVENTS: unknown ${unknown.join(', ')} (known: ${WEBHOOK_TYPES.join(', ')})`);
  const types = config.webhookEvents.length ? new Set(config.webhookEvents as WebhookType[]) : undefined;
  return new Webhooks({ url, key, nodeId, types, log, post: fetchPost(config.webhookTimeoutMs) });
}
