/**
 * Relay settings. Every setting has a default, an environment variable and (where WCS has one) the
 * `flashphoner.properties` key WCS uses, so an operator's existing file carries over. Precedence:
 * environment > properties file (SIPHON_CONFIG) > default.
 */
import { readFileSync } from 'node:fs';
import { fromProperties, parseProperties } from './properties.ts';
import { settings, type Kind, type Parsed, type SettingSpec, type Settings } from './settings.ts';
import { BEARER_TOKEN_RULE, isValidBearerToken } from '../contract/bearer.ts';
import { RestKeys, RestKeysError } from '../contract/rest-keys.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * A URL the relay calls must not carry a user or password: fetch refuses such a URL with a message that repeats it,
 * which would put the credential in the logs. Backends that need one take it as a header (the hooks' HMAC, the
 * webhooks' signature).
 */
export function refuseUrlCredentials(setting: string, url: string): void {
  const parsed = URL.parse(url);
  if (parsed && (parsed.username || parsed.password)) throw new ConfigError(`${setting}: a URL with a user or password in it is refused (it would end up in logs); sign requests instead`);
}

export type { PortRange } from './settings.ts';
export { settings };

export type Config = { [K in keyof Settings]: Parsed<Settings[K]['kind']> };

function parseValue(kind: Kind, raw: string, name: string): Parsed<Kind> {
  const value = raw.trim();
  switch (kind) {
    case 'int': {
      if (!/^\d+$/.test(value)) throw new ConfigError(`${name}: expected a non-negative integer, got "${raw}"`);
      return Number(value);
    }
    case 'bool': {
      if (!/^(true|false|1|0|yes|no)$/i.test(value)) throw new ConfigError(`${name}: expected true or false, got "${raw}"`);
      return /^(true|1|yes)$/i.test(value);
    }
    case 'range': {
      const m = /^(\d+)\s*-\s*(\d+)$/.exec(value);
      if (!m || Number(m[1]) >= Number(m[2]) || Number(m[2]) > 65535) {
        throw new ConfigError(`${name}: expected a port range like 31001-32000, got "${raw}"`);
      }
      return { from: Number(m[1]), to: Number(m[2]) };
    }
    case 'list':
      return value === '' ? [] : value.split(',').map((v) => v.trim()).filter(Boolean);
    default:
      return value;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const file = env.SIPHON_CONFIG;
  let props = new Map<string, string>();
  if (file) {
    try {
      props = parseProperties(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`SIPHON_CONFIG=${file}: ${(err as Error).message}`);
    }
  }
  const config: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(settings) as [string, SettingSpec<Kind>][]) {
    const raw = env[spec.env] ?? fromProperties(props, spec.property);
    config[key] = raw === undefined ? spec.default : parseValue(spec.kind, raw, env[spec.env] !== undefined ? spec.env : spec.property);
  }
  const token = config.restToken as string;
  if (token && !isValidBearerToken(token)) throw new ConfigError(`SIPHON_REST_TOKEN: ${BEARER_TOKEN_RULE}`);
  try {
    RestKeys.from(config.restKeys as string);
  } catch (err) {
    if (err instanceof RestKeysError) throw new ConfigError(`SIPHON_REST_KEYS: ${err.message}`);
    throw err;
  }
  if (!['mountpoint', 'tee'].includes(config.playerFanout as string)) throw new ConfigError(`SIPHON_PLAYER_FANOUT: mountpoint or tee, got "${config.playerFanout}"`);
  checkEdgeLink(config as Config);
  if (!['FAIL', 'LOG'].includes(config.restHooksOnError as string)) throw new ConfigError(`SIPHON_REST_HOOKS_ON_ERROR: FAIL or LOG, got "${config.restHooksOnError}"`);
  return config as Config;
}

function checkEdgeLink(c: Pick<Config, 'edgeUrl' | 'edgeJoinToken' | 'relayId'>): void {
  if (c.edgeUrl && !/^https?:$/.test(URL.parse(c.edgeUrl)?.protocol ?? '')) throw new ConfigError(`SIPHON_EDGE_URL: an http:// or https:// URL, got "${c.edgeUrl}"`);
  if (c.edgeUrl) refuseUrlCredentials('SIPHON_EDGE_URL', c.edgeUrl);
  if (c.edgeUrl && !c.edgeJoinToken) throw new ConfigError('SIPHON_EDGE_URL is set without SIPHON_EDGE_JOIN_TOKEN: give the edge\'s RELAY_JOIN_TOKEN');
  if (c.relayId && !/^[A-Za-z0-9._-]{1,64}$/.test(c.relayId)) throw new ConfigError(`SIPHON_RELAY_ID: letters, digits and . _ - only (1 to 64), got "${c.relayId}"`);
}
