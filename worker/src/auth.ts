/**
 * Which API key may call which of the edge's routes: the one table of route → scope (docs/api/rest.md lists it for
 * users), and the guard that applies it with the keys of the API_KEYS secret and the legacy API_TOKEN. Secure by
 * default: a deployed edge with neither does not run open, it answers 503 saying how to set one; only a local
 * `wrangler dev` told LOCAL_DEV=true (what npm start and the tests do) serves without. Viewers' routes (/hls/,
 * /rest-api/play/) and the API docs are public.
 */
import type { Context } from 'hono';
import { apiError } from '../../contract/error-body.ts';
import { BEARER_TOKEN_RULE, isValidBearerToken } from '../../contract/bearer.ts';
import { restGuard, type RouteScopes } from '../../contract/rest-auth.ts';
import { RestKeys, RestKeysError } from '../../contract/rest-keys.ts';

export const ROUTE_SCOPES: RouteScopes = {
  '/rest-api/pull/pull': 'pull',
  '/rest-api/pull/terminate': 'terminate',
  '/rest-api/pull/find_all': 'stat',
  '/rest-api/access/*': 'access',
  '/rest-api/relay/drain': 'relays',
  '/rest-api/relay/rotate': 'relays',
  '/rest-api/relay/find_all': 'stat',
  '/?action=stat': 'stat',
};

/** Parsed once per isolate for the secrets it was parsed from. */
let parsed: { from: string; keys: RestKeys | undefined } | undefined;

function keysOf(c: Context<{ Bindings: Env }>): RestKeys | 'open' {
  const { API_KEYS = '', API_TOKEN = '' } = c.env;
  if (!API_KEYS && !API_TOKEN) {
    if (c.env.LOCAL_DEV === 'true') return 'open';
    throw apiError(503, 'no_api_token', 'this edge has no API_KEYS (nor the legacy API_TOKEN), so it refuses every call: make a key with '
      + '`npm run key -- <name> <scopes…>` and set its JSON entry with `wrangler secret put API_KEYS`; an edge without keys is for '
      + 'local development only (`wrangler dev --var LOCAL_DEV:true`, as npm start runs it)');
  }
  // A token no client could send locks everyone out: say so instead of answering 401 forever.
  if (API_TOKEN && !isValidBearerToken(API_TOKEN)) throw apiError(500, 'misconfigured', `API_TOKEN is unusable: ${BEARER_TOKEN_RULE}`);
  const from = `${API_KEYS}\n${API_TOKEN}`;
  if (parsed?.from !== from) {
    try {
      parsed = { from, keys: RestKeys.from(API_KEYS, API_TOKEN) };
    } catch (err) {
      if (err instanceof RestKeysError) throw apiError(500, 'misconfigured', `API_KEYS: ${err.message}`);
      throw err;
    }
  }
  if (parsed.keys) return parsed.keys;
  if (c.env.LOCAL_DEV === 'true') return 'open';
  throw apiError(503, 'no_api_token', 'this edge has no usable API_KEYS: make a key with `npm run key -- <name> <scopes…>`');
}

export const requireKey = restGuard(keysOf, ROUTE_SCOPES);
