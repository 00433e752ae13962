/** The edge's revoke: kept in the Durable Object, sent to every relay, repeated to a relay that missed it or forgot it. */
import { describe, expect, it } from 'vitest';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import worker from '../../worker/src/index.ts';
import { call, claims, cut, envWith, realFetch } from './edge-harness.ts';

const revokedOn = async (id: string) => await (await realFetch(`http://${id}.relay/__revoked`)).json() as Record<string, string>[];
async function reconcile(e: Env): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled!({ cron: '* * * * *', scheduledTime: Date.now(), noRetry() {} } as ScheduledController, e, ctx);
  await waitOnExecutionContext(ctx);
}

describe('POST /rest-api/access/revoke', () => {
  it('goes to every relay, which ends its sessions; one that cannot be reached is named and gets it at the next reconciliation', async () => {
    const e = envWith(['ok', 'other']);
    cut.add('other.relay');
    try {
      const res = await call(e, 'POST', '/rest-api/access/revoke', { sub: 'alice' });
      expect(res.status).toBe(200);
      const body = await res.json() as { revoked: unknown; until: string; relays: { relay: string; ended?: number; error?: string }[] };
      expect(body.revoked).toEqual({ sub: 'alice' });
      expect(Date.parse(body.until) - Date.now()).toBeGreaterThan(23 * 3600_000);
      expect(body.relays).toEqual([{ relay: 'ok', ended: 1 }, { relay: 'other', error: expect.stringContaining('unreachable') }]);
    } finally {
      cut.delete('other.relay');
    }
    await reconcile(e);
    const [sent] = await revokedOn('other');
    // The repeat keeps when the revoke was made: tokens issued after it must not be refused.
    expect(sent).toMatchObject({ sub: 'alice', at: expect.any(String), until: expect.any(String) });
    expect((await revokedOn('ok')).map((r) => r.at)).toEqual([sent!.at]);
  });

  it('a relay that restarted (forgot its revocations) gets them again; expired ones are not kept', async () => {
    const e = envWith(['ok']);
    expect((await call(e, 'POST', '/rest-api/access/revoke', { jti: 'token-7' })).status).toBe(200);
    await realFetch('http://ok.relay/__forget', { method: 'POST' });
    await reconcile(e);
    expect((await revokedOn('ok')).map((r) => r.jti)).toContain('token-7');
    expect((await claims(e).revocations(Date.now() + 25 * 3600_000)).map((r) => r.jti)).not.toContain('token-7');
  });

  it('bad bodies → 400 with the reason; nothing kept', async () => {
    const e = envWith(['ok']);
    const before = (await claims(e).revocations(Date.now())).length;
    for (const [body, reason] of [[{}, 'exactly one'], [{ sub: 'a', stream: 'b' }, 'exactly one'], [{ stream: 'cam', until: '2001-01-01T00:00:00Z' }, 'future'],
      [{ sub: 'a', extra: 1 }, ''], ['{not json', '']] as const) {
      const res = await call(e, 'POST', '/rest-api/access/revoke', body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'bad_request', message: expect.stringContaining(reason) });
    }
    expect((await claims(e).revocations(Date.now())).length).toBe(before);
  });

  it('guarded like the pull API: no token → 401', async () => {
    const e = envWith(['ok'], { API_TOKEN: 'edge-secret' });
    expect((await call(e, 'POST', '/rest-api/access/revoke', { sub: 'a' })).status).toBe(401);
    expect((await call(e, 'POST', '/rest-api/access/revoke', { sub: 'a' }, { authorization: 'Bearer edge-secret' })).status).toBe(200);
  });
});
