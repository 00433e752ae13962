/**
 * The single-token bearer guard (the relay's SIPHON_WHEP_TOKEN on WHIP/WHEP), and the rule every bearer token
 * must follow (also the legacy REST tokens, SIPHON_REST_TOKEN and API_TOKEN; named REST keys: rest-keys.ts):
 * Hono's bearerAuth, which compares in constant time, answering every refusal as a 401 with our error body
 * (bearerAuth alone says 400 to a header that is not `Bearer <token>`). No token configured: open.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { apiError, type ErrorBody } from './error-body.ts';

/** RFC 6750's token68: what a client can send after `Bearer ` (and all bearerAuth accepts). */
const TOKEN68 = /^[A-Za-z0-9._~+/-]+=*$/;
export const BEARER_TOKEN_RULE = 'a bearer token may only contain letters, digits and - . _ ~ + / (RFC 6750), optionally ending in =';
export const isValidBearerToken = (token: string) => TOKEN68.test(token);
/** The token of an `Authorization: Bearer <token>` header, if it is one (a relay's edge credential, a join token). */
export const bearerOf = (authorization: string | undefined) => /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];

const refused = () => Response.json({ error: 'unauthorized', message: 'missing or wrong bearer token' } satisfies ErrorBody,
  { status: 401, headers: { 'www-authenticate': 'Bearer' } });

export function bearerGuard(tokenOf: (c: Context) => string | undefined): MiddlewareHandler {
  const guards = new Map<string, MiddlewareHandler>();
  return async (c, next) => {
    const token = tokenOf(c);
    if (!token) return next();
    // A token no client could send locks everyone out: say so instead of answering 401 forever.
    if (!isValidBearerToken(token)) throw apiError(500, 'misconfigured', `the configured API token is unusable: ${BEARER_TOKEN_RULE}`);
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
