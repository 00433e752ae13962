/**
 * The REST guard of both edges: which named key calls (RestKeys, by Bearer or Basic), and whether its scopes cover
 * the route, from each edge's one table of route → scope. Our own small verifier rather than Hono's bearerAuth and
 * basicAuth: each of those takes one scheme and answers yes or no, while a call here may use either scheme and the
 * answer must say which key it was, since the key's scopes decide and its name goes in the logs.
 */
import type { Context, Env, MiddlewareHandler } from 'hono';
import { apiError } from './error-body.ts';
import { SCOPES, type RestKey, type RestKeys, type Scope } from './rest-keys.ts';

/** Who a request's Authorization proves it is: the configured keys, or those and more (a relay's edge credential). */
export type KeyCheck = Pick<RestKeys, 'authenticate'>;

declare module 'hono' {
  interface ContextVariableMap {
    /** The key that called, set by restGuard. */
    restKey: RestKey;
  }
}

/**
 * Route → the scope it needs. A route is a path, a path ending in `/*` (everything under it), or a path with one
 * `?name=value` the query must have (`/?action=stat`). First match wins. A guarded path no entry matches needs a
 * valid key and no scope (each edge's tests check that every route it guards has an entry).
 */
export type RouteScopes = Readonly<Record<string, Scope>>;

const CHALLENGE = 'Bearer, Basic realm="siphon"';
/** What an edge with no key configured lets through (the relay for local use, the edge under LOCAL_DEV). */
const OPEN: RestKey = { name: 'open', scopes: new Set(SCOPES) };

function matches(route: string, c: Context): boolean {
  const [path = '', query] = route.split('?');
  const pathMatches = path.endsWith('/*') ? c.req.path.startsWith(path.slice(0, -1)) : c.req.path === path;
  if (!pathMatches || query === undefined) return pathMatches;
  const [name = '', value] = query.split('=');
  return c.req.query(name) === value;
}

const scopeOf = (routes: RouteScopes, c: Context): Scope | undefined =>
  Object.entries(routes).find(([route]) => matches(route, c))?.[1];

/** 403 unless the key restGuard admitted has `scope`; for a route that applies its scope itself. */
export function requireScope(scope: Scope): MiddlewareHandler {
  return async (c, next) => {
    const key = c.get('restKey');
    // A route wired without restGuard in front fails closed (a 500), never open.
    if (!key) throw new Error(`requireScope("${scope}") needs restGuard in front of it`);
    if (!key.scopes.has(scope)) throw apiError(403, 'forbidden', `key "${key.name}" lacks the "${scope}" scope`);
    await next();
  };
}

/** Admits a call with a valid key whose scopes cover its route (`keysOf` may throw the edge's own refusal). */
export function restGuard<E extends Env = any>(keysOf: (c: Context<E>) => KeyCheck | 'open', routes: RouteScopes): MiddlewareHandler<E> {
  return async (c, next) => {
    const keys = keysOf(c);
    const key = keys === 'open' ? OPEN : await keys.authenticate(c.req.header('authorization'));
    if (!key) {
      throw apiError(401, 'unauthorized', 'missing or wrong API key: send `Authorization: Bearer <key>` or HTTP Basic `<name>:<key>`',
        { 'www-authenticate': CHALLENGE });
    }
    c.set('restKey', key);
    const scope = scopeOf(routes, c);
    return scope ? requireScope(scope)(c, next) : next();
  };
}
