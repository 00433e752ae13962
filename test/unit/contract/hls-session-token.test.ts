/**
 * One session-token format, two implementations: what a relay mints (node:crypto) the edge accepts (Web Crypto, as
 * workerd runs it), for that stream's one object only, until it expires, and only under the same secret.
 */
import { describe, expect, it } from 'vitest';
import { HTTPException } from 'hono/http-exception';
import { HlsSessionTokens } from '../../../relay/outputs/hls/hls-session-token.ts';
import { checkSessionPath } from '../../../worker/src/hls-session.ts';

const SECRET = 'shared-hls-session-secret';
const FILE = 'part-ab12-7-3.m4s';
const env = (secret = SECRET) => ({ HLS_SESSION_SECRET: secret }) as Parameters<typeof checkSessionPath>[0];
const refusal = async (p: Promise<void>) => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof HTTPException)) return undefined;
  return { status: err.status, body: await err.getResponse().json() as { error: string; message: string } };
};

describe('HLS session tokens: relay and edge', () => {
  const relay = new HlsSessionTokens(SECRET);
  const token = relay.mint('cam', FILE, 'sub:alice', Date.now() + 60_000);

  it('a token the relay mints passes the edge for its object', async () => {
    expect(relay.check(token, 'cam', FILE)).toBeUndefined();
    expect(await refusal(checkSessionPath(env(), token, 'cam', FILE))).toBeUndefined();
  });

  it('another stream or object, a tampered MAC, another secret, an expired token, garbage → 403 with the reason', async () => {
    const wrong = { status: 403, body: { error: 'forbidden', message: 'session token not valid for this stream or file' } };
    expect(await refusal(checkSessionPath(env(), token, 'other', FILE))).toEqual(wrong);
    expect(await refusal(checkSessionPath(env(), token, 'cam', 'part-ab12-7-4.m4s'))).toEqual(wrong);
    const tampered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect((await refusal(checkSessionPath(env(), tampered, 'cam', FILE)))?.status).toBe(403);
    expect((await refusal(checkSessionPath(env('another-secret'), token, 'cam', FILE)))?.status).toBe(403);
    const old = relay.mint('cam', FILE, 'sub:alice', Date.now() - 1000);
    expect(await refusal(checkSessionPath(env(), old, 'cam', FILE))).toMatchObject({ status: 403, body: { message: expect.stringMatching(/expired/) } });
    expect(await refusal(checkSessionPath(env(), '../../etc', 'cam', FILE))).toMatchObject({ status: 403, body: { message: 'malformed session token' } });
  });

  it('an edge without the secret cannot tell, and says how to set it (503)', async () => {
    expect(await refusal(checkSessionPath(env(''), token, 'cam', FILE))).toMatchObject({ status: 503, body: { error: 'misconfigured', message: expect.stringContaining('HLS_SESSION_SECRET') } });
  });
});
