/** Bearer-token check for the edge's API, in constant time so the token cannot be guessed byte by byte. */
import type { MiddlewareHandler } from 'hono';
import type { Env } from './env.ts';
import { apiError } from './errors.ts';

const encoder = new TextEncoder();

export function tokenMatches(header: string | undefined, token: string): boolean {
  const given = encoder.encode(/^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1] ?? '');
  const want = encoder.encode(token);
  if (given.byteLength !== want.byteLength) {
    crypto.subtle.timingSafeEqual(want, want); // same work either way
    return false;
  }
  return crypto.subtle.timingSafeEqual(given, want);
}

export const requireToken: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const token = c.env.API_TOKEN;
  if (token && !tokenMatches(c.req.header('authorization'), token)) {
    throw apiError(401, 'unauthorized', 'missing or wrong bearer token');
  }
  await next();
};
