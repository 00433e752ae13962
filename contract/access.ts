/**
 * The revoke API's body, one definition for the edge (which stores it and fans it out) and the relay (which ends the
 * matching sessions): exactly one of `sub`, `jti` or `stream`, and how long the revocation is kept.
 */
import { z } from '@hono/zod-openapi';

/** A revocation outlives the tokens it refuses by default a day; `until` may keep it up to 30 days. */
const REVOCATION_KEPT_MS = 24 * 3600_000;
const REVOCATION_MAX_MS = 30 * 24 * 3600_000;

const field = z.string().min(1).max(256);

export const RevokeRequest = z.object({
  sub: field.optional().openapi({ description: "Every token of this subject issued up to now (`iat` at or before the revoke; tokens without `iat` always)" }),
  jti: field.optional().openapi({ description: 'The one token with this id' }),
  stream: field.optional().openapi({ description: 'Every session of this stream; tokens issued up to now are refused for it' }),
  until: z.string().datetime({ offset: true }).optional()
    .openapi({ description: 'When the revocation is dropped (ISO 8601; default: a day from now, at most 30 days)' }),
  at: z.string().datetime({ offset: true }).optional()
    .openapi({ description: 'When it was made (ISO 8601; default now): the edge sends it when it repeats a revocation to a relay' }),
}).strict().refine((b) => [b.sub, b.jti, b.stream].filter((v) => v !== undefined).length === 1,
  { message: 'give exactly one of sub, jti or stream' })
  .refine((b) => b.until === undefined || Date.parse(b.until) > Date.now(), { message: 'until must be in the future', path: ['until'] })
  .openapi('RevokeRequest');
export type RevokeRequest = z.infer<typeof RevokeRequest>;

/** A revocation as kept: what it matches, when it was made and until when it holds (ms since the epoch). */
export interface Revocation { sub?: string; jti?: string; stream?: string; at: number; until: number }

export function revocationOf(body: RevokeRequest, now: number): Revocation {
  const at = body.at ? Math.min(Date.parse(body.at), now) : now;
  // Counted from now, not from `at`: a repeat of an old revocation must not arrive already expired.
  const until = body.until ? Math.min(Date.parse(body.until), now + REVOCATION_MAX_MS) : now + REVOCATION_KEPT_MS;
  return { ...(body.sub ? { sub: body.sub } : {}), ...(body.jti ? { jti: body.jti } : {}), ...(body.stream ? { stream: body.stream } : {}), at, until };
}

/** The body that repeats `r` to a relay, keeping when it was made (a `sub` revoke refuses tokens issued up to then). */
export function revokeBodyOf(r: Revocation): RevokeRequest {
  return { ...(r.sub !== undefined ? { sub: r.sub } : {}), ...(r.jti !== undefined ? { jti: r.jti } : {}),
    ...(r.stream !== undefined ? { stream: r.stream } : {}), at: new Date(r.at).toISOString(), until: new Date(r.until).toISOString() };
}
