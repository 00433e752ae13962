/**
 * The bearer-token guard of every HTTP edge (the edge's API_TOKEN, a relay's SIPHON_REST_TOKEN): Hono's
 * bearerAuth, which compares in constant time, answering every refusal as a 401 with our error body
 * (bearerAuth alone says 400 to a header that is not `Bearer <token>`). No token configured: open.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import type { ErrorBody } from './error-body.ts';

const refused = () => Response.json({ error: 'unauthorized', message: 'missing or wrong bearer token' } satisfies ErrorBody,
  { status: 401, headers: { 'www-authenticate': 'Bearer' } });

export function bearerGuard(tokenOf: (c: Context) => string | undefined): MiddlewareHandler {
  const guards = new Map<string, MiddlewareHandler>();
  return async (c, next) => {
    const token = tokenOf(c);
    if (!token) return next();
    let guard = guards.get(token);
    if (!guard) {
      guard = bearerAuth({
        token, noAuthenticationHeader: { message: refused }, invalidAuthenticationHeader: { message: refused },
        invalidToken: { message: refused },
      });
      guards.set(token, guard);
    }
    return guard(c, next);
  };
}
