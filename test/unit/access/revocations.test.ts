/**
 * Revocation on the relay: which tokens a revoke refuses (a subject's up to the revoke, one jti, a stream's), which
 * running sessions it ends (their leases, on fake timers), and that leases end at expiry unless renewed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SignJWT } from 'jose';
import { AccessControl } from '../../../relay/access/access-control.ts';
import { RestHooks } from '../../../relay/access/rest-hooks.ts';
import { TokenVerifier, type Grant } from '../../../relay/access/token-verifier.ts';
import { Revocations } from '../../../relay/access/revocations.ts';
import { RevokeRequest, revocationOf } from '../../../contract/access.ts';
import { recordingLog } from './rest-hooks.test.ts';
import { recordedWebhooks } from '../fakes/recorded-webhooks.ts';

const SECRET = 'a-shared-secret-of-enough-length-for-hs256';
const play = { siphon_permissions: [{ action: 'play', stream: '*' }] };
const token = (claims: Record<string, unknown>, iat = Math.floor(Date.now() / 1000)) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(iat).setExpirationTime(iat + 3600).sign(new TextEncoder().encode(SECRET));

function control() {
  const { log, lines } = recordingLog();
  const webhooks = recordedWebhooks();
  const access = new AccessControl({
    tokens: new TokenVerifier({ secret: SECRET, publicKeys: '', jwksUrl: '' }),
    hooks: new RestHooks({ apps: new Map(), timeoutMs: 300, secret: '', log }), onError: 'FAIL', graceMs: 60_000, log, webhooks,
  });
  return { access, lines, webhooks };
}
const watch = (t: string, stream = 'cam') => ({ action: 'play' as const, protocol: 'whep' as const, stream, token: t, client: '10.0.0.7', shareMs: 60_000 });

describe('the revoke body', () => {
  it('exactly one of sub, jti, stream; until in the future; unknown fields refused', () => {
    expect(RevokeRequest.safeParse({ sub: 'alice' }).success).toBe(true);
    expect(RevokeRequest.safeParse({}).success).toBe(false);
    expect(RevokeRequest.safeParse({ sub: 'alice', jti: 'x' }).success).toBe(false);
    expect(RevokeRequest.safeParse({ stream: 'cam', until: '2001-01-01T00:00:00Z' }).success).toBe(false);
    expect(RevokeRequest.safeParse({ stream: 'cam', owner: 'x' }).success).toBe(false);
  });

  it('kept a day by default, at most 30 days; a repeated one keeps when it was made', () => {
    const now = Date.parse('2026-12-03T00:00:00Z');
    expect(revocationOf({ sub: 'a' }, now)).toEqual({ sub: 'a', at: now, until: now + 24 * 3600_000 });
    expect(revocationOf({ jti: 'j', until: '2027-12-01T00:00:00Z' }, now).until).toBe(now + 30 * 24 * 3600_000);
    expect(revocationOf({ stream: 's', at: '2026-12-02T00:00:00Z' }, now).at).toBe(now - 24 * 3600_000);
  });
});

describe('Revocations', () => {
  // Far enough ahead that add()'s pruning (on the real clock) keeps them however late a busy machine runs the tests.
  const at = Date.now() + 3600_000;
  const grant = (g: Partial<Grant>): Grant => ({ permissions: [], ...g });

  it("a sub's tokens issued up to the revoke; a jti; a stream's tokens issued up to it; none after until", () => {
    const r = new Revocations();
    r.add({ sub: 'alice', at, until: at + 1000 });
    r.add({ jti: 'j1', at, until: at + 1000 });
    r.add({ stream: 'cam', at, until: at + 1000 });
    expect(r.refuses(grant({ sub: 'alice', issuedAt: at - 1 }), 'x', at)).toMatch(/tokens of "alice" issued before/);
    expect(r.refuses(grant({ sub: 'alice' }), 'x', at)).toBeDefined(); // no iat: cannot be told apart
    expect(r.refuses(grant({ sub: 'alice', issuedAt: at + 1 }), 'x', at)).toBeUndefined();
    expect(r.refuses(grant({ sub: 'bob', jti: 'j1', issuedAt: at + 1 }), 'x', at)).toBe('the token was revoked');
    expect(r.refuses(grant({ sub: 'bob', issuedAt: at - 1 }), 'cam', at)).toBe('access to "cam" was revoked');
    expect(r.refuses(grant({ sub: 'bob', issuedAt: at - 1 }), 'other', at)).toBeUndefined();
    expect(r.refuses(grant({ sub: 'alice', issuedAt: at - 1 }), 'x', at + 1000)).toBeUndefined();
  });

  it('the same revocation sent again is kept once', () => {
    const r = new Revocations();
    expect(r.add({ sub: 'alice', at, until: at + 1000 })).toBe(true);
    expect(r.add({ sub: 'alice', at, until: at + 1000 })).toBe(false);
    expect(r.size).toBe(1);
  });
});

describe('AccessControl.revoke', () => {
  beforeEach(() => { vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] }); });
  afterEach(() => { vi.useRealTimers(); });

  it('by sub: the running sessions end at once, the token is refused from then on, a token issued after works', async () => {
    const { access, lines, webhooks } = control();
    const old = await token({ sub: 'alice', ...play });
    const decision = await access.decide(watch(old));
    expect(decision).toMatchObject({ allow: true });
    const ended: string[] = [];
    access.lease('cam', { protocol: 'whep', sessionId: 'w1' }, decision.allow ? decision.grant : undefined, (why) => ended.push(`alice ${why}`));
    const other = await access.decide(watch(await token({ sub: 'bob', ...play })));
    access.lease('cam', { protocol: 'whep', sessionId: 'w2' }, other.allow ? other.grant : undefined, (why) => ended.push(`bob ${why}`));
    vi.advanceTimersByTime(1500);
    expect(access.revoke(revocationOf({ sub: 'alice' }, Date.now()))).toBe(1);
    expect(ended).toEqual(['alice revoked']);
    expect(access.leases).toBe(1);
    expect(webhooks.of('access.revoked')).toEqual([{ type: 'access.revoked', stream: 'cam', data: { protocol: 'whep', sessionId: 'w1', reason: 'revoked by sub "alice"' } }]);
    // The shared decision is forgotten: the same request is refused now.
    expect(await access.decide(watch(old))).toMatchObject({ allow: false, status: 401, reason: expect.stringMatching(/revoked/) });
    expect(await access.grant(old)).toBeUndefined(); // nor can it refresh a session
    vi.advanceTimersByTime(1500);
    expect(await access.decide(watch(await token({ sub: 'alice', ...play })))).toMatchObject({ allow: true });
    expect(lines.filter((l) => l.event === 'access.revoked')).toHaveLength(1);
  });

  it('by stream: every session of the stream ends, a hook-admitted one too; other streams play on', () => {
    const { access } = control();
    const ended: string[] = [];
    access.lease('cam', { protocol: 'viewer', sessionId: 'v1' }, undefined, (why) => ended.push(`cam ${why}`));
    access.lease('lobby', { protocol: 'viewer', sessionId: 'v2' }, undefined, (why) => ended.push(`lobby ${why}`));
    expect(access.revoke(revocationOf({ stream: 'cam' }, Date.now()))).toBe(1);
    expect(ended).toEqual(['cam revoked']);
  });

  it('a lease ends at its expiry unless renewed (never shortened); released ones end nothing', () => {
    const { access } = control();
    const ended: string[] = [];
    const lease = access.lease('cam', { protocol: 'wcs', sessionId: 'm1' }, { permissions: [], expiresAt: Date.now() + 20_000 }, (why) => ended.push(why));
    vi.advanceTimersByTime(15_000);
    lease.renew({ permissions: [], expiresAt: Date.now() + 20_000 });
    lease.renew({ permissions: [], expiresAt: Date.now() + 1000 }); // an older token shown later does not shorten it
    vi.advanceTimersByTime(15_000);
    expect(ended).toEqual([]);
    vi.advanceTimersByTime(5_000);
    expect(ended).toEqual(['expired']);
    const gone = access.lease('cam', { protocol: 'wcs', sessionId: 'm1' }, { permissions: [], expiresAt: Date.now() + 1000 }, (why) => ended.push(`gone ${why}`));
    gone.release();
    vi.advanceTimersByTime(2000);
    expect(access.revoke(revocationOf({ stream: 'cam' }, Date.now()))).toBe(0);
    expect(ended).toEqual(['expired']);
  });
});
