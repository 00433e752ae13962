/**
 * The decision point on its own: signed tokens (HS256, ES256 and EdDSA by kid, expiry, scope, forgery) and WCS hooks
 * (fail closed, LOG, grace while the backend is down), with a real hook backend on loopback.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { AccessControl, type AccessRequest } from '../../../relay/access/access-control.ts';
import { RestHooks, DEFAULT_HOOK_METHODS } from '../../../relay/access/rest-hooks.ts';
import { TokenVerifier } from '../../../relay/access/token-verifier.ts';
import { covers } from '../../../relay/access/permission.ts';
import { NameMasks } from '../../../relay/access/name-masks.ts';
import { HookBackend } from '../../harness/hook-backend.ts';
import { recordingLog } from './rest-hooks.test.ts';
import { recordedWebhooks } from '../fakes/recorded-webhooks.ts';

const SECRET = 'a-shared-secret-of-enough-length-for-hs256';
const hs256 = (claims: Record<string, unknown>, secret = SECRET, expires: string | number = '1h') =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(expires).sign(new TextEncoder().encode(secret));
const publish = (stream: string) => ({ siphon_permissions: [{ action: 'publish', stream }] });

function control(opts: { secret?: string; publicKeys?: string; hooksUrl?: string; onError?: 'FAIL' | 'LOG'; graceMs?: number; timeoutMs?: number;
  names?: { publish: string[]; play: string[] } } = {}) {
  const { log, lines } = recordingLog();
  const webhooks = recordedWebhooks();
  const apps = new Map(opts.hooksUrl ? [['defaultApp', { url: opts.hooksUrl, methods: new Set(DEFAULT_HOOK_METHODS) }]] : []);
  const access = new AccessControl({
    tokens: new TokenVerifier({ secret: opts.secret ?? '', publicKeys: opts.publicKeys ?? '', jwksUrl: '' }),
    hooks: new RestHooks({ apps, timeoutMs: opts.timeoutMs ?? 300, secret: '', log }),
    onError: opts.onError ?? 'FAIL', graceMs: opts.graceMs ?? 60_000, log, webhooks,
    names: opts.names && { publish: new NameMasks(opts.names.publish), play: new NameMasks(opts.names.play) },
  });
  return { access, lines, webhooks };
}
const req = (r: Partial<AccessRequest>): AccessRequest => ({ action: 'publish', protocol: 'wcs', stream: 'cam-1', client: '10.0.0.7', ...r });
const hook = { appKey: 'defaultApp', body: { name: 'cam-1' } };

describe('permissions', () => {
  it('a name, a prefix* or *', () => {
    const p = [{ action: 'publish' as const, stream: 'cam-*' }, { action: 'play' as const, stream: 'lobby' }, { action: 'play' as const, stream: '*' }];
    expect(covers(p, 'publish', 'cam-1')).toBe(true);
    expect(covers(p, 'publish', 'other')).toBe(false);
    expect(covers(p.slice(0, 2), 'play', 'lobbyist')).toBe(false);
    expect(covers(p, 'play', 'anything')).toBe(true);
  });
});

describe('AccessControl with signed tokens', () => {
  it('nothing configured: everyone is admitted', async () => {
    const { access } = control();
    expect(access.configured).toBe(false);
    expect(await access.decide(req({}))).toMatchObject({ allow: true });
  });

  it('HS256: a token for cam-* publishes cam-1 and is refused other; none → 401; expired, forged or garbage → 401', async () => {
    const { access, lines, webhooks } = control({ secret: SECRET });
    const token = await hs256({ sub: 'alice', ...publish('cam-*') });
    expect(await access.decide(req({ token }))).toMatchObject({ allow: true, grant: { sub: 'alice' } });
    expect(await access.decide(req({ token, stream: 'other' }))).toEqual({ allow: false, status: 403, reason: 'the token does not allow publish of "other"' });
    expect(await access.decide(req({ token, action: 'play' }))).toMatchObject({ allow: false, status: 403 });
    expect(await access.decide(req({}))).toEqual({ allow: false, status: 401, reason: 'a token is required' });
    expect(await access.decide(req({ token: await hs256(publish('*'), SECRET, Math.floor(Date.now() / 1000) - 10) }))).toEqual({ allow: false, status: 401, reason: 'invalid token: expired' });
    expect(await access.decide(req({ token: await hs256(publish('*'), `${SECRET}-not`) }))).toEqual({ allow: false, status: 401, reason: 'invalid token: bad signature' });
    expect(await access.decide(req({ token: 'garbage' }))).toMatchObject({ allow: false, status: 401 });
    const tampered = token.split('.');
    tampered[1] = Buffer.from(JSON.stringify({ sub: 'alice', siphon_permissions: [{ action: 'publish', stream: '*' }] })).toString('base64url');
    expect(await access.decide(req({ token: tampered.join('.'), stream: 'other' }))).toMatchObject({ allow: false, status: 401 });
    expect([access.counts.get('publish|wcs|denied'), access.counts.get('play|wcs|denied')]).toEqual([6, 1]);
    expect(lines.filter((l) => l.event === 'access.denied')).toHaveLength(7);
    expect(JSON.stringify(lines)).not.toContain(token);
    // Each refusal is an access.denied webhook too, without the credential.
    expect(webhooks.of('access.denied')).toHaveLength(7);
    expect(webhooks.of('access.denied')[0]).toEqual({ type: 'access.denied', stream: 'other',
      data: { action: 'publish', protocol: 'wcs', status: 403, reason: 'the token does not allow publish of "other"', client: '10.0.0.7' } });
    expect(JSON.stringify(webhooks.emitted)).not.toContain(token);
  });

  it('ES256 and EdDSA by kid from a JWKS; an alg the relay was not given keys for is refused', async () => {
    const es = await generateKeyPair('ES256');
    const ed = await generateKeyPair('EdDSA');
    const jwk = async (key: CryptoKey, kid: string, alg: string): Promise<JWK> => ({ ...(await exportJWK(key)), kid, alg });
    const { access } = control({ publicKeys: JSON.stringify({ keys: [await jwk(es.publicKey, 'es-1', 'ES256'), await jwk(ed.publicKey, 'ed-1', 'EdDSA')] }) });
    const sign = (key: CryptoKey, alg: string, kid: string) => new SignJWT(publish('cam-1')).setProtectedHeader({ alg, kid }).setExpirationTime('1h').sign(key);
    expect(await access.decide(req({ token: await sign(es.privateKey, 'ES256', 'es-1') }))).toMatchObject({ allow: true });
    expect(await access.decide(req({ token: await sign(ed.privateKey, 'EdDSA', 'ed-1') }))).toMatchObject({ allow: true });
    expect(await access.decide(req({ token: await sign(es.privateKey, 'ES256', 'unknown') }))).toEqual({ allow: false, status: 401, reason: 'invalid token: no key for its kid' });
    expect(await access.decide(req({ token: await hs256(publish('*')) }))).toEqual({ allow: false, status: 401, reason: 'invalid token: tokens signed with HS256 are not accepted here' });
  });

  it('connect needs no token, but a bad one is refused', async () => {
    const { access } = control({ secret: SECRET });
    expect(await access.decide(req({ action: 'connect', stream: undefined }))).toMatchObject({ allow: true });
    expect(await access.decide(req({ action: 'connect', stream: undefined, token: 'nope' }))).toMatchObject({ allow: false, status: 401 });
  });
});

describe('AccessControl with WCS hooks', () => {
  let backend: HookBackend;
  beforeEach(async () => { backend = await HookBackend.start(); });
  afterEach(async () => { await backend.close(); });

  it('fails closed by default: a 403, a hang or a dead backend refuses publish; connect is refused whatever restOnError says', async () => {
    const { access } = control({ hooksUrl: backend.url });
    backend.behaviour.set('publishStream', { status: 403 });
    expect(await access.decide(req({ hook }))).toEqual({ allow: false, status: 403, reason: 'the backend refused publishStream (HTTP 403)' });
    backend.behaviour.set('publishStream', 'hang');
    const t0 = Date.now();
    expect(await access.decide(req({ hook }))).toMatchObject({ allow: false, status: 503 });
    expect(Date.now() - t0).toBeLessThan(2000);
    backend.behaviour.set('connect', { status: 403 });
    const lenient = control({ hooksUrl: backend.url, onError: 'LOG' }).access;
    expect(await lenient.decide(req({ action: 'connect', stream: undefined, hook }))).toMatchObject({ allow: false, status: 403 });
  });

  it("LOG (WCS's default) lets a refused publish go ahead; the connect answer's restClientConfig overrides either way", async () => {
    backend.behaviour.set('publishStream', { status: 403 });
    const lenient = control({ hooksUrl: backend.url, onError: 'LOG' }).access;
    expect(await lenient.decide(req({ hook }))).toMatchObject({ allow: true });
    expect(await lenient.decide(req({ hook: { ...hook, policies: { publishStream: { restOnError: 'FAIL' } } } }))).toMatchObject({ allow: false });
    backend.behaviour.set('connect', { status: 200, extra: { restClientConfig: { publishStream: { restOnError: 'LOG' } } } });
    const strict = control({ hooksUrl: backend.url }).access;
    const connected = await strict.decide(req({ action: 'connect', stream: undefined, hook }));
    expect(connected).toMatchObject({ allow: true, restClientConfig: { publishStream: { restOnError: 'LOG' } } });
    expect(await strict.decide(req({ hook: { ...hook, policies: connected.allow ? connected.restClientConfig : {} } }))).toMatchObject({ allow: true });
  });

  it('backend down: a viewer it admitted to the stream plays again within the grace window; new viewers and publishers are refused', async () => {
    const { access } = control({ hooksUrl: backend.url, graceMs: 60_000, timeoutMs: 150 });
    const viewer = req({ action: 'play', hook, client: '10.0.0.7' });
    expect(await access.decide(viewer)).toMatchObject({ allow: true });
    backend.behaviour.set('playStream', 'hang');
    backend.behaviour.set('publishStream', 'hang');
    expect(await access.decide({ ...viewer })).toMatchObject({ allow: true }); // the same viewer, reconnecting
    expect(await access.decide({ ...viewer, client: '10.0.0.8' })).toMatchObject({ allow: false, status: 503 });
    expect(await access.decide({ ...viewer, stream: 'other' })).toMatchObject({ allow: false, status: 503 });
    expect(await access.decide(req({ hook }))).toMatchObject({ allow: false, status: 503 });
    const expired = control({ hooksUrl: backend.url, graceMs: 0, timeoutMs: 150 }).access;
    backend.behaviour.delete('playStream');
    await expired.decide(viewer);
    backend.behaviour.set('playStream', 'hang');
    expect(await expired.decide(viewer)).toMatchObject({ allow: false });
  });

  it('tokens and hooks together: both must admit', async () => {
    const { access } = control({ secret: SECRET, hooksUrl: backend.url });
    const token = await hs256(publish('cam-*'));
    expect(await access.decide(req({ token, hook }))).toMatchObject({ allow: true });
    backend.behaviour.set('publishStream', { status: 403 });
    expect(await access.decide(req({ token, hook }))).toMatchObject({ allow: false, status: 403 });
    expect(await access.decide(req({ hook }))).toMatchObject({ allow: false, status: 401 });
    expect(backend.of('publishStream')).toHaveLength(2); // the third had no token: the backend was not asked
  });

  it('HLS reloads share decisions: 100 viewers with one token → one playHLS call; another token is asked itself; a refusal is kept only briefly', async () => {
    const { access } = control({ hooksUrl: backend.url });
    const hls = (token: string, client: string) => access.decide({ action: 'play', protocol: 'hls', stream: 'cam', token, client, shareMs: 60_000,
      hook: { appKey: 'defaultApp', body: { name: 'cam', custom: { token } } } });
    const decisions = await Promise.all(Array.from({ length: 100 }, (_, i) => hls('shared', `10.0.1.${i}:4000`)));
    expect(decisions.every((d) => d.allow)).toBe(true);
    expect(backend.of('playHLS')).toHaveLength(1);
    await hls('another', '10.0.2.1:4000');
    expect(backend.of('playHLS')).toHaveLength(2);
    backend.behaviour.set('playHLS', { status: 403 });
    expect(await hls('refused', '10.0.3.1:4000')).toMatchObject({ allow: false });
    expect(await hls('refused', '10.0.3.1:4001')).toMatchObject({ allow: false });
    expect(backend.of('playHLS')).toHaveLength(3);
  });
});

describe('publish and play restriction by name (SIPHON_ALLOW_PUBLISH_NAMES, SIPHON_ALLOW_PLAY_NAMES)', () => {
  it('holds on an open relay and on every protocol, before any token or hook; connect is not a name', async () => {
    const { access, webhooks } = control({ names: { publish: ['cam-*', '!*'], play: ['!secret-*', '*'] } });
    expect(access.configured).toBe(false); // still an open relay otherwise
    for (const protocol of ['wcs', 'whip'] as const) {
      expect(await access.decide(req({ protocol, stream: 'cam-1' }))).toMatchObject({ allow: true });
      expect(await access.decide(req({ protocol, stream: 'rtmp-flood' }))).toEqual({ allow: false, status: 403,
        reason: 'the name "rtmp-flood" may not be published here: refused by "!*"' });
    }
    for (const protocol of ['wcs', 'whep', 'viewer', 'hls'] as const) {
      expect(await access.decide(req({ action: 'play', protocol, stream: 'secret-board' }))).toMatchObject({ allow: false, status: 403 });
      expect(await access.decide(req({ action: 'play', protocol, stream: 'lobby' }))).toMatchObject({ allow: true });
    }
    expect(await access.decide(req({ action: 'connect', stream: undefined }))).toMatchObject({ allow: true });
    expect(webhooks.of('access.denied')).toHaveLength(6);
    expect(access.nameRefusal('play', 'secret-x')).toBe('the name "secret-x" may not be played here: refused by "!secret-*"');
  });
});

describe('a full relay', () => {
  it('refuses a viewer (503, full) but not a snapshot: a one-off look takes no seat', async () => {
    const { log } = recordingLog();
    const access = new AccessControl({
      tokens: new TokenVerifier({ secret: '', publicKeys: '', jwksUrl: '' }), hooks: new RestHooks({ apps: new Map(), timeoutMs: 300, secret: '', log }),
      onError: 'FAIL', graceMs: 0, log, webhooks: recordedWebhooks(), capacity: { full: () => 'the relay has its 2 viewers' } as never,
    });
    expect(await access.decide(req({ action: 'play', stream: 'cam' }))).toMatchObject({ allow: false, status: 503, full: true });
    expect(await access.decide(req({ action: 'play', stream: 'cam', seatless: true }))).toMatchObject({ allow: true });
  });
});
