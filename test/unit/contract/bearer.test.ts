/** The single-token bearer guard (WHIP/WHEP; Hono's bearerAuth, constant time): 401 with our error body for any refusal. */
import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { bearerGuard } from '../../../contract/bearer.ts';
import { errorRenderer } from '../../../contract/error-body.ts';
import { loadConfig } from '../../../relay/config.ts';

function app(token: string | undefined) {
  const a = new Hono();
  a.onError(errorRenderer(() => undefined));
  a.use('*', bearerGuard(() => token));
  a.get('/x', (c) => c.text('in'));
  return a;
}

describe('bearer guard', () => {
  const call = (a: Hono, authorization?: string) => a.request('/x', { headers: authorization ? { authorization } : {} });

  it('passes the exact token, with the scheme in any case', async () => {
    expect((await call(app('s3cret'), 'Bearer s3cret')).status).toBe(200);
    expect((await call(app('s3cret'), 'bearer s3cret')).status).toBe(200);
  });

  it('refuses a missing header, a wrong token, a near miss and a bare token with 401 and a JSON error', async () => {
    for (const header of [undefined, 'Bearer s3cre', 'Bearer s3cret!', 's3cret', 'let-me-in', 'Basic czNjcmV0']) {
      const res = await call(app('s3cret'), header);
      expect(res.status, String(header)).toBe(401);
      expect(await res.json()).toEqual({ error: 'unauthorized', message: 'missing or wrong bearer token' });
    }
  });

  it('is open when no token is configured', async () => {
    expect((await call(app(undefined))).status).toBe(200);
    expect((await call(app(''))).status).toBe(200);
  });

  it('a configured token no client could send is a clear 500, not a 401 for everyone; the relay refuses it at start', async () => {
    const res = await call(app('pass word!'), 'Bearer pass');
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: 'misconfigured', message: expect.stringContaining('RFC 6750') });
    expect(() => loadConfig({ SIPHON_REST_TOKEN: 'pass word!' })).toThrow(/SIPHON_REST_TOKEN: a bearer token may only contain/);
    expect(loadConfig({ SIPHON_REST_TOKEN: 'abc.DEF-123_~+/==' }).restToken).toBe('abc.DEF-123_~+/==');
  });
});
