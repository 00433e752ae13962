/**
 * Relays that join by themselves. A relay with the edge's join token (RELAY_JOIN_TOKEN) joins with its URLs, region
 * and capacity and gets a credential of its own; it heartbeats its load with that credential every
 * `heartbeatSeconds`; the edge counts it gone after MEMBER_EXPIRE_SECONDS without one (its pulls then move as a
 * failing relay's do) and fences it when it heartbeats again. The relays the edge works with are RELAYS (static,
 * redeploy to change) and the members that are not gone.
 */
import { HTTPException } from 'hono/http-exception';
import { apiError } from '../../contract/error-body.ts';
import { sameBytes } from '../../contract/same-bytes.ts';
import { bearerOf } from '../../contract/bearer.ts';
import type { HeartbeatAnswer, HeartbeatRequest, JoinAnswer, JoinRequest, MemberRecord } from '../../contract/membership.ts';
import type { StoredMember } from './edge-state.ts';
import { readRelays, type RelayConfig } from './relays.ts';
import { claims, writes } from './state.ts';
import { log } from './log.ts';
import { expireMs, heartbeatSeconds, idleMsOf } from './settings.ts';

const memberConfig = (m: StoredMember): RelayConfig => ({
  id: m.id, url: m.url.replace(/\/+$/, ''), token: m.credential, hls: m.hls?.replace(/\/+$/, ''), capacity: m.capacity,
  region: m.region, draining: m.state === 'draining', member: true, load: m.load,
});

/** The relays the edge works with now: RELAYS, then every member not gone (a draining one too: it still holds pulls). */
export async function relaysOf(env: Env, now = Date.now()): Promise<RelayConfig[]> {
  const fixed = readRelays(env);
  const members = await claims(env).members(now, expireMs(env));
  const ids = new Set(fixed.map((r) => r.id));
  return [...fixed, ...members.filter((m) => m.state !== 'gone' && !ids.has(m.id)).map(memberConfig)];
}

const bytes = (s: string) => new TextEncoder().encode(s);

function newCredential(): string {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...raw)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const unauthorized = (message: string) =>
  new HTTPException(401, { res: Response.json({ error: 'unauthorized', message }, { status: 401, headers: { 'www-authenticate': 'Bearer' } }) });

/** `POST /rest-api/relay/join`, with the join token: fails closed (503 saying how) on an edge that has none. */
export async function join(env: Env, authorization: string | undefined, req: JoinRequest, now = Date.now()): Promise<JoinAnswer> {
  if (!env.RELAY_JOIN_TOKEN) {
    throw apiError(503, 'membership_off', 'this edge takes no relays that join by themselves: set RELAY_JOIN_TOKEN (`wrangler secret put '
      + 'RELAY_JOIN_TOKEN`) and give the same token to the relays as SIPHON_EDGE_JOIN_TOKEN; or list relays in RELAYS');
  }
  const presented = bearerOf(authorization);
  if (!presented || !sameBytes(bytes(presented), bytes(env.RELAY_JOIN_TOKEN))) throw unauthorized('missing or wrong join token (`Authorization: Bearer <RELAY_JOIN_TOKEN>`)');
  if (readRelays(env).some((r) => r.id === req.id)) throw apiError(409, 'conflict', `relay id "${req.id}" is in RELAYS: a joining relay needs an id of its own`);
  const credential = newCredential();
  const { rejoined, taken } = await claims(env).join(req, credential, now, expireMs(env));
  if (taken) {
    throw apiError(409, 'conflict', `relay id "${req.id}" belongs to a live relay at ${taken}: give this one its own SIPHON_RELAY_ID `
      + '(the other may take it again once it is gone for MEMBER_EXPIRE_SECONDS)');
  }
  log('edge.relay_joined', { relay: req.id, url: req.url, region: req.region, capacity: req.capacity, rejoined });
  return { id: req.id, credential, heartbeatSeconds: heartbeatSeconds(env), expireSeconds: expireMs(env) / 1000 };
}

/** `POST /rest-api/relay/heartbeat`, with the relay's credential; `returned` when it had been counted gone (fence it). */
export async function heartbeat(env: Env, authorization: string | undefined, req: HeartbeatRequest, now = Date.now()): Promise<HeartbeatAnswer> {
  const presented = bearerOf(authorization);
  if (!presented) throw unauthorized('missing credential (`Authorization: Bearer <the credential join gave>`)');
  const beat = await claims(env).heartbeat(req.id, presented, req.load, now, idleMsOf(env));
  // Unknown and wrong look alike to the caller: either way it must join again.
  if (!beat) throw apiError(404, 'not_a_member', `relay "${req.id}" is not a member with this credential: join again`);
  const returned = beat.lastSeen < now - expireMs(env);
  if (returned) log('edge.relay_returned', { relay: req.id, goneFor: Math.round((now - beat.lastSeen) / 1000) });
  for (const name of beat.drop) log('edge.copy_idle', { localStreamName: name, relay: req.id, idleSeconds: idleMsOf(env) / 1000 });
  if (beat.drop.length > 0) writes.count += 1;
  return { state: beat.draining ? 'draining' : 'active', ...(beat.next ? { credential: beat.next } : {}), ...(returned ? { returned } : {}),
    ...(beat.drop.length > 0 ? { drop: beat.drop } : {}) };
}

/** Checks a call a member makes about itself (leave): its credential, or 401. */
export async function authenticateMember(env: Env, id: string, authorization: string | undefined): Promise<void> {
  const presented = bearerOf(authorization);
  const known = await claims(env).credentialsOf(id);
  if (!presented || !known || !known.some((k) => sameBytes(bytes(k), bytes(presented)))) {
    throw unauthorized(`not relay "${id}"'s credential`);
  }
}

/** `POST /rest-api/relay/rotate {relay}`: the relay gets a new credential with its next heartbeat. */
export async function rotate(env: Env, id: string): Promise<{ relay: string; rotating: true }> {
  if (!await claims(env).rotate(id, newCredential())) throw apiError(404, 'not_found', `no member "${id}"`);
  log('edge.relay_credential_rotating', { relay: id });
  return { relay: id, rotating: true };
}

/** `GET /rest-api/relay/find_all`: RELAYS and every member, with state and load (never a credential). */
export async function listMembers(env: Env, now = Date.now()): Promise<MemberRecord[]> {
  const fixed: MemberRecord[] = readRelays(env).map((r) => ({
    id: r.id, url: r.url, hls: r.hls ?? null, region: r.region ?? '', capacity: r.capacity ?? null, state: 'static', joined: null, lastHeartbeat: null, load: null,
  }));
  const members = (await claims(env).members(now, expireMs(env))).map((m): MemberRecord => ({
    id: m.id, url: m.url, hls: m.hls ?? null, region: m.region, capacity: m.capacity ?? null, state: m.state,
    joined: new Date(m.joined).toISOString(), lastHeartbeat: new Date(m.seen).toISOString(), load: m.load ?? null,
  }));
  return [...fixed, ...members];
}
