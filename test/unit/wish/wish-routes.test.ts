/** The WHIP/WHEP HTTP layer on its own (the sessions and the registry faked): the token, and refusals before any media work. */
import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { addWishRoutes } from '../../../relay/wish/wish-routes.ts';
import { errorRenderer } from '../../../contract/error-body.ts';
import { rootLog } from '../../../relay/log.ts';
import type { WishSessions } from '../../../relay/wish/wish-sessions.ts';
import { openAccess } from '../fakes/open-access.ts';

function app(token = '') {
  const opened: string[] = [];
  const sessions = {
    get: () => undefined, close: () => false,
    play: async () => { opened.push('play'); throw new Error('not reached'); },
    publish: async () => { opened.push('publish'); throw new Error('not reached'); },
  } as unknown as WishSessions;
  const hono = new Hono();
  hono.onError(errorRenderer(() => undefined));
  addWishRoutes(hono, { sessions, registry: { get: () => undefined }, token: () => token, iceServers: [], log: rootLog, access: openAccess(), nodeId: 'test@127.0.0.1' });
  return { hono, opened };
}

const sdp = (headers: Record<string, string> = {}) => ({ method: 'POST', body: 'v=0\r\n', headers: { 'content-type': 'application/sdp', ...headers } });

describe('WHIP/WHEP routes', () => {
  it('with SIPHON_WHEP_TOKEN set: no or a wrong bearer token → 401 JSON, the right one gets through', async () => {
    const { hono } = app('sekret');
    expect((await hono.request('/whep/cam', sdp())).status).toBe(401);
    expect((await hono.request('/whip/cam', sdp({ authorization: 'Bearer nope' }))).status).toBe(401);
    const res = await hono.request('/whep/cam', sdp({ authorization: 'Bearer sekret' }));
    expect(res.status).toBe(404); // past the guard: no stream "cam"
    expect(await res.json()).toMatchObject({ error: 'not_found' });
  });

  it('refusals come before any session is opened: wrong type 415, no stream 404, unknown session 404', async () => {
    const { hono, opened } = app();
    expect((await hono.request('/whip/cam', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(415);
    expect((await hono.request('/whep/cam', sdp())).status).toBe(404);
    expect(await (await hono.request(`/whip/${'n'.repeat(300)}`, sdp())).json()).toMatchObject({ error: 'bad_request' });
    expect((await hono.request('/whip/%20%20', sdp())).status).toBe(400);
    expect((await hono.request('/whep/cam/nope', { method: 'DELETE' })).status).toBe(404);
    expect((await hono.request('/whip/cam/nope', { method: 'PATCH', body: '', headers: { 'content-type': 'application/trickle-ice-sdpfrag' } })).status).toBe(404);
    expect(opened).toEqual([]);
  });
});
