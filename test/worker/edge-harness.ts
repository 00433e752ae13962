/**
 * What the workerd suites share: the relays' network (fake relays behind miniflare's outbound service, with hosts a
 * test can cut off), an Env naming some of them, and calls into the worker.
 */
import { beforeAll, expect, vi } from 'vitest';
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import worker from '../../worker/src/index.ts';

export const realFetch = globalThis.fetch;
/** Relays a test has cut off (as unreachable as down.relay). */
export const cut = new Set<string>();
beforeAll(() => {
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const unreachable = url.hostname === 'down.relay' || cut.has(url.hostname) || (url.hostname === 'flaky.relay' && url.pathname !== '/health');
    if (unreachable) throw new Error('Network connection lost.'); // what workerd throws for a refused connection
    return realFetch(input, init);
  });
});

export const relay = (id: string) => ({ id, url: `http://${id}.relay` });
const tokens = (...ids: string[]) => JSON.stringify(Object.fromEntries(ids.map((id) => [id, `token-${id}.relay`])));

export function envWith(ids: string[], extra: Partial<Env> = {}): Env {
  return { ...env, RELAYS: JSON.stringify(ids.map(relay)), RELAY_TOKENS: tokens(...ids), API_TOKEN: '', LOCAL_DEV: 'true', ...extra };
}

export async function call(e: Env, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://edge${path}`, {
    method, headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  }), e, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

export const pull = (e: Env, localStreamName: string, extra: Record<string, unknown> = {}) =>
  call(e, 'POST', '/rest-api/pull/pull', { uri: 'ws://wcs.example:8080', remoteStreamName: 's', localStreamName, ...extra });

export const claims = (e: Env) => e.EDGE_STATE.get(e.EDGE_STATE.idFromName('global'));
export async function nothingLeftFor(e: Env, name: string): Promise<void> {
  expect(await claims(e).get(name)).toBeNull();
  expect(await claims(e).names()).not.toContain(name);
}

/** A record placed on `relay` at `epoch`, as the edge would have made it (its claim is `c-<name>`). */
export async function placed(e: Env, name: string, relay: string, epoch = 1): Promise<void> {
  expect(await claims(e).claim(name, `c-${name}`)).toBe(true);
  expect(await claims(e).commit({ uri: 'ws://wcs.example:8080', remoteStreamName: 's', localStreamName: name, claim: `c-${name}`, created: 'x',
    replicas: 1, placements: [{ relay, epoch }] })).toBe(true);
}
/** A pull started on a fake relay directly, not through the edge. */
export const onRelay = (id: string, name: string, epoch?: number) => realFetch(`http://${id}.relay/rest-api/pull/pull`, {
  method: 'POST', headers: { authorization: `Bearer token-${id}.relay` }, body: JSON.stringify({ uri: 'ws://wcs.example:8080', remoteStreamName: 's', localStreamName: name, epoch }),
});
export const runsOn = async (id: string) => await (await realFetch(`http://${id}.relay/__calls`)).json() as string[];


export const JOIN_TOKEN = 'join-token-for-tests';

/** Joins member `id` (its URL http://<id>.relay) and tells that fake relay to accept the credential it got. */
export async function joinAs(e: Env, id: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await call(e, 'POST', '/rest-api/relay/join', { id, url: `http://${id}.relay`, region: 'eu', ...extra }, { authorization: `Bearer ${JOIN_TOKEN}` });
  expect(res.status).toBe(200);
  const body = await res.json() as { credential: string; heartbeatSeconds: number; expireSeconds: number };
  expect(body).toMatchObject({ id, heartbeatSeconds: Number(e.HEARTBEAT_SECONDS ?? 5), expireSeconds: Number(e.MEMBER_EXPIRE_SECONDS ?? 15) });
  await realFetch(`http://${id}.relay/__credential`, { method: 'POST', body: body.credential });
  return body.credential;
}
