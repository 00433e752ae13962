/**
 * Who may POST a WHIP publish or a WHEP play, and touch its resource afterwards (RFC 9725 §4.5, RFC 6750): the
 * `Authorization: Bearer` credential goes to the relay's access control with the stream it asks for. No or a bad
 * credential: 401 with `WWW-Authenticate: Bearer error="invalid_token"`; one that does not cover the stream: 403
 * `insufficient_scope`; the hook backend down: 503. A resource is bound to the principal that created it: a PATCH
 * or DELETE with another principal's credential is refused with 403, not served.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import type { AccessControl } from '../access/access-control.ts';
import { bearerOf, deniedError, refusal } from '../access/http-refusal.ts';
import type { Grant } from '../access/token-verifier.ts';
import { streamBody } from '../wcs/hook-bodies.ts';
import type { WishKind } from './wish-session.ts';

/** What an admitted resource is bound to: its principal, and the grant its access lasts by (if a token gave one). */
export interface WishGrant { owner?: string; grant?: Grant }

/** Admits a WHIP publish or a WHEP play of `stream`. */
export async function admitWish(c: Context, access: AccessControl, kind: WishKind, stream: string, nodeId: string): Promise<WishGrant> {
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
  return { owner: await access.principal(token), grant: decision.grant };
}

/**
 * A PATCH or DELETE of a resource bound to `owner` must come with a credential naming the same principal. Returns the
 * grant that credential carries: a PATCH with a fresh token moves the session's end (RFC 9725 clients send their
 * `Authorization` on every request).
 */
export async function checkOwner(c: Context, access: AccessControl, owner: string | undefined): Promise<Grant | undefined> {
  if (owner === undefined) return undefined;
  const token = bearerOf(c);
  if (!token) throw refusal(401, 'unauthorized', 'this session needs the credential that created it', 'error="invalid_token"');
  if ((await access.principal(token)) !== owner) throw refusal(403, 'forbidden', 'this session belongs to another principal', 'error="insufficient_scope"');
  return access.grant(token);
}
