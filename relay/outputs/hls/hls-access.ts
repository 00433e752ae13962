/**
 * Who may play HLS when the relay is guarded (docs/api/access.md). The credential is checked once per playlist
 * request — `?token=` on the playlist URL, as WCS's playHLS has it, or `Authorization: Bearer` — through the same
 * decision point as every other protocol (WCS's `playHLS` hook, `mediaProvider: "HLS"`), and the decision is shared
 * by a viewer's reloads. The playlist then names its media under `../s/<session token>/<stream>/`, which players
 * resolve without sending any header or cookie; media is served only to a valid session token.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import type { AccessControl } from '../../access/access-control.ts';
import { bearerOf, deniedError, refusal } from '../../access/http-refusal.ts';
import { streamBody } from '../../wcs/hook-bodies.ts';
import type { HlsSessionTokens } from './hls-session-token.ts';

/** How long one admission serves a viewer's reloads before the backend (or the token) is asked again. */
const DECISION_SHARED_MS = 60_000;
/**
 * A session path must not change from one reload to the next: hls.js (like any player merging live playlists)
 * takes a segment whose URI changed for a broken playlist. So a session token is the same for every reload of one
 * grant: it expires with the token that admitted the viewer, or, with no expiry to follow (a hook's answer), at the
 * end of a fixed window of this length, when the URIs change once.
 */
const SESSION_WINDOW_MS = 5 * 60_000;

export interface HlsGuard {
  access: AccessControl;
  tokens: HlsSessionTokens;
  nodeId: string;
}

/** The session token for a playlist about to be sent. */
export type SessionMinter = () => string;

/** Undefined when the relay is open; otherwise admits the playlist request (or throws the refusal). */
export async function admitPlaylist(c: Context, guard: HlsGuard, stream: string): Promise<SessionMinter | undefined> {
  if (!guard.access.configured) return undefined;
  const token = c.req.query('token') || bearerOf(c);
  const appKey = c.req.query('appKey') || 'defaultApp';
  const id = randomUUID();
  const body = streamBody({ nodeId: guard.nodeId, appKey, sessionId: `hls-${id}` }, { mediaSessionId: id, name: stream, mediaProvider: 'HLS', custom: token ? { token } : {} },
    false, 'NEW');
  const decision = await guard.access.decide({
    action: 'play', protocol: 'hls', stream, token, client: String(c.env?.incoming?.socket?.remoteAddress ?? 'unknown'),
    hook: { appKey, body: token ? { ...body, token } : body }, shareMs: DECISION_SHARED_MS,
  });
  if (!decision.allow) throw deniedError(decision);
  const principal = (await guard.access.principal(token)) ?? `client:${c.env?.incoming?.socket?.remoteAddress}`;
  return () => guard.tokens.mint(stream, principal, decision.grant?.expiresAt ?? (Math.floor(Date.now() / SESSION_WINDOW_MS) + 2) * SESSION_WINDOW_MS);
}

/** Media of a guarded relay: only under a session path its playlist gave. */
export function checkMedia(guard: HlsGuard, stream: string, sessionToken: string | undefined): void {
  if (!guard.access.configured) return;
  if (sessionToken === undefined) throw refusal(401, 'unauthorized', 'HLS media is served under the session path its playlist names; load the playlist first');
  const wrong = guard.tokens.check(sessionToken, stream);
  if (wrong) throw refusal(403, 'forbidden', wrong);
}
