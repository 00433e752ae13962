/**
 * Who may POST a WHIP publish or a WHEP play, and touch its resource afterwards (RFC 9725 §4.5, RFC 6750): the
 * `Authorization: Bearer` credential goes to the relay's access control with the stream it asks for. No or a bad
 * credential: 401 with `WWW-Authenticate: Bearer error="invalid_token"`; one that does not cover the stream: 403
 * `insufficient_scope`; the hook backend down: 503. A resource is bound to the principal that created it: a PATCH
 * or DELETE with another principal's credential is refused with 403, not served.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AccessControl, Decision } from '../access/access-control.ts';
import { streamBody } from '../wcs/hook-bodies.ts';
import type { WishKind } from './wish-session.ts';

export function bearerOf(c: Context): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '');
  return m?.[1];
}

function refusal(status: ContentfulStatusCode, error: string, message: string, challenge?: string): HTTPException {
  const headers: Record<string, string> = challenge ? { 'www-authenticate': `Bearer realm="siphon", ${challenge}` } : {};
  return new HTTPException(status, { message, res: Response.json({ error, message }, { status, headers }) });
}

export function deniedError(decision: Decision & { allow: false }): HTTPException {
  const quoted = decision.reason.replace(/["\\]/g, '');
  if (decision.status === 401) return refusal(401, 'unauthorized', decision.reason, `error="invalid_token", error_description="${quoted}"`);
  if (decision.status === 403) return refusal(403, 'forbidden', decision.reason, `error="insufficient_scope", error_description="${quoted}"`);
  return refusal(503, 'access_unavailable', decision.reason);
}

/** Admits a WHIP publish or a WHEP play of `stream`; returns the principal the new resource is bound to. */
export async function admitWish(c: Context, access: AccessControl, kind: WishKind, stream: string, nodeId: string): Promise<string | undefined> {
  const token = bearerOf(c);
  const client = `${c.env?.incoming?.socket?.remoteAddress ?? 'unknown'}`;
  const appKey = c.req.query('appKey') || 'defaultApp';
  const id = randomUUID();
  // The hooks see a WHIP/WHEP client as WCS shows any stream: its bearer credential where WCS backends look (custom.token).
  const request = { mediaSessionId: id, name: stream, mediaProvider: kind.toUpperCase(), custom: token ? { token } : {} };
  const decision = await access.decide({
    action: kind === 'whip' ? 'publish' : 'play', protocol: kind, stream, token, client,
    hook: { appKey, body: streamBody({ nodeId, appKey, sessionId: `${kind}-${id}` }, request, kind === 'whip', 'PENDING') },
  });
  if (!decision.allow) throw deniedError(decision);
  return access.principal(token);
}

/** A PATCH or DELETE of a resource bound to `owner` must come with a credential naming the same principal. */
export async function checkOwner(c: Context, access: AccessControl, owner: string | undefined): Promise<void> {
  if (owner === undefined) return;
  const token = bearerOf(c);
  if (!token) throw refusal(401, 'unauthorized', 'this session needs the credential that created it', 'error="invalid_token"');
  if ((await access.principal(token)) !== owner) throw refusal(403, 'forbidden', 'this session belongs to another principal', 'error="insufficient_scope"');
}
