/**
 * `POST /rest-api/access/revoke {sub | jti | stream, until?}`: ends the matching sessions on this relay now, on every
 * protocol, and refuses the matching tokens from then on. The edge sends it to every relay (and again after a relay
 * restarts); an operator may call one relay directly. Answered with how many sessions it ended.
 */
import type { Hono } from 'hono';
import { RevokeRequest, revocationOf } from '../../contract/access.ts';
import type { AccessControl } from '../access/access-control.ts';
import { readBody } from './body.ts';

export function addAccessRoutes(app: Hono, access: AccessControl): void {
  app.post('/rest-api/access/revoke', async (c) => {
    const body = await readBody(c, RevokeRequest);
    const revocation = revocationOf(body, Date.now());
    const ended = access.revoke(revocation);
    return c.json({ revoked: body, until: new Date(revocation.until).toISOString(), ended });
  });
}
