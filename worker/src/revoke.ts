/**
 * `POST /rest-api/access/revoke {sub | jti | stream, until?}`: kept in the edge's Durable Object, then sent to every
 * relay at once, each of which ends its matching sessions (WCS, WHIP/WHEP, viewer page; HLS at its next playlist
 * request) and refuses the matching tokens. The answer says what each relay did; a relay that did not answer gets
 * the revocation from the next reconciliation (every minute), as does a relay that restarted and forgot it.
 */
import { revocationOf, type Revocation, type RevokeRequest } from '../../contract/access.ts';
import { log } from './log.ts';
import { claims } from './state.ts';
import { RelayClient, type RelayConfig } from './relays.ts';
import { relaysOf } from './members.ts';

export interface RelayRevokeResult { relay: string; ended?: number; error?: string }

export async function revoke(env: Env, body: RevokeRequest, key: string): Promise<{ revoked: RevokeRequest; until: string; relays: RelayRevokeResult[] }> {
  const revocation = revocationOf(body, Date.now());
  await claims(env).revoke(revocation);
  const relays = await Promise.all((await relaysOf(env)).map((relay) => sendTo(relay, revocation)));
  log('edge.access_revoked', { sub: body.sub, jti: body.jti, stream: body.stream, key, relays });
  return { revoked: body, until: new Date(revocation.until).toISOString(), relays };
}

async function sendTo(relay: RelayConfig, r: Revocation): Promise<RelayRevokeResult> {
  try {
    return { relay: relay.id, ended: await new RelayClient(relay).revoke(r) };
  } catch (err) {
    return { relay: relay.id, error: (err as Error).message };
  }
}

/** Reconciliation: every relay that answers is sent the revocations in force (a relay keeps one once). */
export async function resendRevocations(env: Env, relays: RelayConfig[], now: number): Promise<void> {
  const all = await claims(env).revocations(now);
  if (all.length === 0) return;
  await Promise.all(relays.map(async (relay) => {
    for (const r of all) {
      const sent = await sendTo(relay, r);
      if (!sent.error) continue;
      // Down, or refusing (a relay key without the access scope): said each run, tried again the next.
      log('edge.revoke_resend_failed', { relay: relay.id, error: sent.error });
      return;
    }
  }));
}
