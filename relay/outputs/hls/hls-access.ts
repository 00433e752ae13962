/**
 * Who may play HLS when the relay is guarded (docs/api/access.md). The credential is checked once per playlist
 * request — `?token=` on the playlist URL, as WCS's playHLS has it, or `Authorization: Bearer` — through the same
 * decision point as every other protocol (WCS's `playHLS` hook, `mediaProvider: "HLS"`), and the decision is shared
 * by a viewer's reloads. The playlist then names each media object under `../s/<session token>/<stream>/`, which
 * players resolve without sending any header or cookie; media is served only to a valid session token.
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
 * An object's URI must not change from one reload to the next: hls.js (like any player merging live playlists) takes
 * a segment whose URI changed for a broken playlist. So a session token's expiry is not the viewer's grant (a fresh
 * token would change it) but fixed per object: this long after the relay first listed it, far past its time in the
 * window. The grant is checked where it matters, at each playlist request, which names new objects.
 */
const OBJECT_TOKEN_MS = 5 * 60_000;
const MAX_OBJECTS_REMEMBERED = 20_000;
/** `<stream>/<file>` → the expiry of that object's session tokens. */
const objectExpiry = new Map<string, number>();

function expiryOf(stream: string, file: string, now: number): number {
  const key = `${stream}/${file}`;
  const known = objectExpiry.get(key);
  if (known !== undefined && known > now) return known;
  const exp = now + OBJECT_TOKEN_MS;
  objectExpiry.set(key, exp);
  if (objectExpiry.size > MAX_OBJECTS_REMEMBERED) objectExpiry.delete(objectExpiry.keys().next().value!);
  return exp;
}

export interface HlsGuard {
  access: AccessControl;
  tokens: HlsSessionTokens;
  nodeId: string;
}

/** The session token of one media object (its file name) of the playlist about to be sent. */
export type SessionMinter = (file: string) => string;

/** Undefined when the relay is open; otherwise admits the playlist request (or throws the refusal). */
export async function admitPlaylist(c: Context, guard: HlsGuard, stream: string): Promise<SessionMinter | undefined> {
  // An open relay decides only a name its play list refuses: refused there, counted and logged like any refusal.
  if (!guard.access.configured && !guard.access.nameRefusal('play', stream)) return undefined;
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
  const now = Date.now();
  return (file) => guard.tokens.mint(stream, file, principal, expiryOf(stream, file, now));
}

/** Media of a guarded relay: only under a session path its playlist gave. */
export function checkMedia(guard: HlsGuard, stream: string, file: string, sessionToken: string | undefined): void {
  refuseName(guard, stream);
  if (!guard.access.configured) return;
  if (sessionToken === undefined) throw refusal(401, 'unauthorized', 'HLS media is served under the session path its playlist names; load the playlist first');
  const wrong = guard.tokens.check(sessionToken, stream, file);
  if (wrong) throw refusal(403, 'forbidden', wrong);
}

/** Media of a stream whose name may not be played: refused on an open relay too (its playlist was, above). */
function refuseName(guard: HlsGuard, stream: string): void {
  const why = guard.access.nameRefusal('play', stream);
  if (why) throw refusal(403, 'forbidden', why);
}
