/**
 * Which REST key may call which of the relay's routes: the one table of route → scope (docs/api/rest.md lists it for
 * users), and the guard that applies it with the keys of SIPHON_REST_KEYS and the legacy SIPHON_REST_TOKEN. With
 * neither set the relay is open, as for local use. HLS, WHIP/WHEP (their own tokens), /health and the pages are not
 * behind REST keys; WCS's WHIP at /rest-api/stream/publish is, as everything under /rest-api.
 */
import type { MiddlewareHandler } from 'hono';
import { restGuard, type RouteScopes } from '../../contract/rest-auth.ts';
import { RestKeys, SCOPES, type RestKey } from '../../contract/rest-keys.ts';
import { sameBytes } from '../../contract/same-bytes.ts';
import { bearerOf } from '../../contract/bearer.ts';
import type { Config } from '../config.ts';

export const ROUTE_SCOPES: RouteScopes = {
  '/rest-api/pull/pull': 'pull',
  '/rest-api/pull/terminate': 'terminate',
  '/rest-api/pull/find_all': 'stat',
  '/rest-api/pull/push': 'push',
  '/rest-api/push/startup': 'push',
  '/rest-api/push/terminate': 'push',
  '/rest-api/push/find': 'stat',
  '/rest-api/push/find_all': 'stat',
  '/rest-api/stream/publish/*': 'push',
  '/rest-api/stream/startRecording': 'record',
  '/rest-api/stream/stopRecording': 'record',
  '/rest-api/recorder/find_all': 'record',
  '/rest-api/stream/terminate': 'terminate',
  '/rest-api/stream/find': 'stat',
  '/rest-api/stream/find_all': 'stat',
  '/rest-api/stream/snapshot': 'stat',
  '/rest-api/connection/find': 'stat',
  '/rest-api/connection/find_all': 'stat',
  '/rest-api/connection/terminate': 'terminate',
  '/rest-api/data/send': 'push',
  '/rest-api/access/*': 'access',
  '/?action=stat': 'stat',
  '/metrics': 'metrics',
};

/** What the edge may call on a relay that joined it (pull, terminate, find_all, stat, metrics, revoke). */
const EDGE_KEY: RestKey = { name: 'edge', scopes: new Set(SCOPES.filter((s) => ['pull', 'terminate', 'stat', 'metrics', 'access'].includes(s))) };

/**
 * The guard of every route in ROUTE_SCOPES (settings already checked at start: loadConfig refuses bad keys). A relay
 * that joins an edge (`edgeCredentials` given) also admits the credential the edge gave it, and is never open: until
 * it has joined, a relay without keys of its own admits nobody.
 */
export function relayRestGuard(config: Pick<Config, 'restKeys' | 'restToken'>, edgeCredentials?: () => string[]): MiddlewareHandler {
  const keys = RestKeys.from(config.restKeys, config.restToken);
  if (!edgeCredentials) return restGuard(() => keys ?? 'open', ROUTE_SCOPES);
  const encode = (s: string) => new TextEncoder().encode(s);
  const withEdge = {
    async authenticate(authorization: string | undefined): Promise<RestKey | undefined> {
      const bearer = bearerOf(authorization);
      if (bearer && edgeCredentials().some((c) => sameBytes(encode(c), encode(bearer)))) return EDGE_KEY;
      return keys?.authenticate(authorization);
    },
  };
  return restGuard(() => withEdge, ROUTE_SCOPES);
}
