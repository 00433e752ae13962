/**
 * The one mapping of an access refusal to HTTP, for every HTTP surface (WHIP, WHEP, HLS), as RFC 6750 has it: no or a
 * bad credential → 401 with `WWW-Authenticate: Bearer … error="invalid_token"`; a credential that does not cover the
 * stream → 403 `insufficient_scope`; the hook backend down → 503; the relay full → 503 `relay_full` with
 * `Retry-After`. The body is the usual `{ error, message }`.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Decision } from './access-control.ts';
import { FULL_RETRY_AFTER_S } from './viewer-capacity.ts';

/** `Authorization: Bearer <credential>`, if the request has one. */
export function bearerOf(c: Context): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
}

export function refusal(status: ContentfulStatusCode, error: string, message: string, challenge?: string, retryAfterS?: number): HTTPException {
  const headers: Record<string, string> = challenge ? { 'www-authenticate': `Bearer realm="siphon", ${challenge}` } : {};
  if (retryAfterS !== undefined) headers['retry-after'] = String(retryAfterS);
  return new HTTPException(status, { message, res: Response.json({ error, message }, { status, headers }) });
}

export function deniedError(decision: Decision & { allow: false }): HTTPException {
  const quoted = decision.reason.replace(/["\\]/g, '');
  if (decision.status === 401) return refusal(401, 'unauthorized', decision.reason, `error="invalid_token", error_description="${quoted}"`);
  if (decision.status === 403) return refusal(403, 'forbidden', decision.reason, `error="insufficient_scope", error_description="${quoted}"`);
  if (decision.full) return refusal(503, 'relay_full', decision.reason, undefined, FULL_RETRY_AFTER_S);
  return refusal(503, 'access_unavailable', decision.reason);
}
