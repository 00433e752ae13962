/**
 * The edge's API token (the API_TOKEN secret): Hono's bearerAuth through the guard every Siphon edge uses. Secure
 * by default: a deployed edge without a token does not run open, it answers 503 saying how to set one; only a
 * local `wrangler dev` told LOCAL_DEV=true (what npm start and the tests do) serves without one.
 */
import type { MiddlewareHandler } from 'hono';
import { apiError } from '../../contract/error-body.ts';
import { bearerGuard } from '../../contract/bearer.ts';

const guard = bearerGuard((c) => (c.env as Env).API_TOKEN);

export const requireToken: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  if (!c.env.API_TOKEN && c.env.LOCAL_DEV !== 'true') {
    throw apiError(503, 'no_api_token', 'this edge has no API_TOKEN, so it refuses every call: set one with `wrangler secret put API_TOKEN` '
      + '(clients then send `Authorization: Bearer <token>`); an edge without a token is for local development only '
      + '(`wrangler dev --var LOCAL_DEV:true`, as npm start runs it)');
  }
  return guard(c, next);
};
