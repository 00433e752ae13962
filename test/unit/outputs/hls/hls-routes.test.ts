/** The HLS port's answers, through Hono's own request path, with the packager faked. */
import { openAccess } from '../../fakes/open-access.ts';
import { accessControlFrom } from '../../../../relay/access/access-settings.ts';
import { loadConfig } from '../../../../relay/config.ts';
import { SignJWT } from 'jose';
import { AccessControl } from '../../../../relay/access/access-control.ts';
import { RestHooks } from '../../../../relay/access/rest-hooks.ts';
import { TokenVerifier } from '../../../../relay/access/token-verifier.ts';
import { HlsSessionTokens } from '../../../../relay/outputs/hls/hls-session-token.ts';
import { describe, expect, it, vi } from 'vitest';
import { Logger, setLogLevel } from '../../../../relay/log.ts';
import { StreamRegistry } from '../../../../relay/streams/registry.ts';
import { UdpPortPool } from '../../../../relay/media/udp-port-pool.ts';
import { StreamClaim } from '../../../../relay/streams/stream-factory.ts';
import { HlsOutputs } from '../../../../relay/outputs/hls/hls-outputs.ts';
import { buildHlsApp } from '../../../../relay/outputs/hls/hls-routes.ts';
import { h264Baseline, opus } from '../../../../relay/sdp/description.ts';
import type { RelayContext } from '../../../../relay/context.ts';
import { FakeJanus } from '../../fakes/fake-janus.ts';
import { fakeFfmpeg } from '../../fakes/fake-ffmpeg.ts';
import { recordedWebhooks } from '../../fakes/recorded-webhooks.ts';

setLogLevel('error');

const playlist = '/cam%201/cam%201.m3u8';

async function setup(ports = { from: 53000, to: 53999 }, access = openAccess()) {
  const registry = new StreamRegistry();
  const ctx = { registry, teePorts: new UdpPortPool(ports, 65536), log: new Logger(), janus: new FakeJanus(), webhooks: recordedWebhooks() } as unknown as RelayContext;
  const { spawn, made } = fakeFfmpeg('packager');
  const hls = new HlsOutputs(ctx, { segmentSeconds: 1, partSeconds: 0.2, listSize: 8, autoStart: false, idleStopMs: 60_000,
    endedLingerMs: 60_000, firstPartTimeoutMs: 300, encoder: { x264Preset: 'superfast', x264Crf: 23, audioKbps: 96 } }, spawn);
  await StreamClaim.take(ctx as never, 'cam 1')!.open({ mediaSessionId: 'm', origin: 'pull', kinds: ['audio', 'video'],
    codecs: { video: h264Baseline(102), audio: opus(111) } });
  const app = buildHlsApp(hls, new Logger(), { access, tokens: new HlsSessionTokens(''), nodeId: 'test@127.0.0.1' });
  const get = (path: string) => app.request(path);
  /** The first playlist request, answered once the packager wrote its first parts. */
  const started = async (path = playlist) => {
    const first = get(path);
    await vi.waitFor(() => expect(made).toHaveLength(1));
    made[0]!.write(0, 4);
    return first;
  };
  return { hls, made, get, started };
}


describe('HLS routes', () => {
  it('holds the first playlist request until the first part exists, then serves playlist and media with CORS *', async () => {
    const { hls, get, started } = await setup();
    const res = await started();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const text = await res.text();
    const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(text)![1]!;
    const part = /URI="(part-[^"]+)"/.exec(text)![1]!;
    const initRes = await get(`/cam%201/${init}`);
    expect([initRes.status, initRes.headers.get('content-type'), (await initRes.arrayBuffer()).byteLength]).toEqual([200, 'video/mp4', 1251]);
    expect((await get(`/cam%201/${part}`)).status).toBe(200);
    expect(hls.get('cam 1')!.served.playlists).toBe(1);
    await hls.closeAll();
  });

  it('a packager that never writes: the first request gets 503 with the reason, not a hang', async () => {
    const { hls, get } = await setup();
    const res = await get(playlist);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: 'unavailable', message: expect.stringMatching(/no HLS media yet/) });
    await hls.closeAll();
  });

  it('no UDP ports left for the packager: 503 with the reason, and no output is left half-made', async () => {
    const { hls, get } = await setup({ from: 54000, to: 54004 }); // the stream's two pairs fill the pool
    const res = await get(playlist);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: 'unavailable', message: expect.stringMatching(/cannot start the HLS output of cam 1: no free UDP port pair/) });
    expect(hls.get('cam 1')).toBeUndefined();
    await hls.closeAll();
  });

  it('bad requests get a JSON 4xx and leave nothing behind', async () => {
    const { hls, get, started } = await setup();
    await started();
    const cases: [string, number][] = [
      ['/nope/nope.m3u8', 404],
      ['/cam%201/other.m3u8', 404],
      ['/cam%201/..%2f..%2fetc%2fpasswd', 404],
      ['/cam%201/seg-zzzz-0.m4s', 404],
      ['/cam%201/seg-zzzz-99.m4s', 404],
      [`${playlist}?_HLS_msn=999999`, 400],
      [`${playlist}?_HLS_msn=-1`, 400],
      [`${playlist}?_HLS_msn=1e9`, 400],
      [`${playlist}?_HLS_part=1`, 400],
      [`${playlist}?_HLS_msn=1&_HLS_part=999`, 400],
      ['/%00/%00.m3u8', 400],
    ];
    for (const [path, status] of cases) {
      const res = await get(path);
      expect([path, res.status]).toEqual([path, status]);
      expect(await res.json()).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    }
    expect(hls.all().map((s) => s.id)).toEqual(['cam 1']);
    await hls.closeAll();
  });

  it('1000 parallel blocking reloads all get the playlist once the part they wait for comes', async () => {
    const { hls, made, get, started } = await setup();
    await started();
    const next = hls.get('cam 1')!.window.nextPart;
    const waiting = Array.from({ length: 1000 }, () => get(`${playlist}?_HLS_msn=${next.msn}&_HLS_part=${next.index}`));
    await new Promise((r) => setTimeout(r, 50));
    made[0]!.write(4, 5, false);
    const answers = await Promise.all(waiting);
    expect(new Set(answers.map((r) => r.status))).toEqual(new Set([200]));
    expect(await answers[0]!.text()).toContain(`-${next.msn}.${next.index}.m4s"`);
    await hls.closeAll();
  });

  it('a preload-hinted part is held until it exists', async () => {
    const { hls, made, get, started } = await setup();
    const text = await (await started()).text();
    const hint = /PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(text)![1]!;
    const pending = get(`/cam%201/${hint}`);
    made[0]!.write(4, 5, false);
    expect((await pending).status).toBe(200);
    await hls.closeAll();
  });
});

describe('HLS on a guarded relay (signed tokens)', () => {
  const SECRET = 'hls-token-secret-of-enough-length-here';
  const guarded = () => new AccessControl({
    tokens: new TokenVerifier({ secret: SECRET, publicKeys: '', jwksUrl: '' }), hooks: new RestHooks({ apps: new Map(), timeoutMs: 100, secret: '', log: new Logger() }),
    onError: 'FAIL', graceMs: 0, log: new Logger(), webhooks: recordedWebhooks(),
  });
  const token = (stream: string) => new SignJWT({ siphon_permissions: [{ action: 'play', stream }] }).setProtectedHeader({ alg: 'HS256' })
    .setSubject('viewer').setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));

  it('the playlist needs a credential covering the stream (401 / 403) and starts nothing before', async () => {
    const { hls, made, get } = await setup({ from: 55000, to: 55999 }, guarded());
    const none = await get(playlist);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="siphon", error="invalid_token"/);
    expect((await get(`${playlist}?token=${await token('other')}`)).status).toBe(403);
    expect((await get(`${playlist}?token=not-a-jwt`)).status).toBe(401);
    expect(made).toHaveLength(0); // no packager started for a refused viewer
    await hls.closeAll();
  });

  it('an open relay with a play name list: a refused name gets 403 on its playlist and media, logged and counted once', async () => {
    const webhooks = recordedWebhooks();
    const access = accessControlFrom(loadConfig({ SIPHON_ALLOW_PLAY_NAMES: '!cam *,*' }), new Logger({ test: 'access' }), webhooks);
    const { hls, made, get } = await setup({ from: 57000, to: 57999 }, access);
    const refused = await get(playlist);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'forbidden', message: 'the name "cam 1" may not be played here: refused by "!cam *"' });
    expect((await get('/cam%201/init-w1-0.mp4')).status).toBe(403);
    expect(made).toHaveLength(0);
    expect(webhooks.of('access.denied')).toHaveLength(1); // the playlist's refusal; the media's is not a second viewer
    expect(access.counts.get('play|hls|denied')).toBe(1);
    await hls.closeAll();
  });

  it('an admitted playlist names its media under a session path; media needs that path, for that stream, unaltered', async () => {
    const { hls, get, started } = await setup({ from: 56000, to: 56999 }, guarded());
    const viewer = await token('cam *');
    const res = await started(`${playlist}?token=${viewer}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const uris = [...text.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!);
    expect(uris.length).toBeGreaterThan(1);
    for (const uri of uris) expect(uri).toMatch(/^\.\.\/s\/[0-9a-z]+\.[\w-]{8}\.[\w-]{22}\/cam%201\/(init|part)-/);
    // An object's URI is the same at every reload, and with a fresh token of the same subject too (a refresh):
    // players drop a playlist whose segment URIs change.
    for (const again of [viewer, await token('cam *')]) {
      const reloaded = await (await get(`${playlist}?token=${again}`)).text();
      const before = new Map(uris.map((u) => [u.split('/').pop(), u]));
      for (const u of [...reloaded.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!)) if (before.has(u.split('/').pop())) expect(u).toBe(before.get(u.split('/').pop()));
    }
    const path = new URL(uris[0]!, `http://relay/cam%201/cam%201.m3u8`).pathname;
    expect((await get(path)).status).toBe(200);
    const file = path.split('/').pop()!;
    expect((await get(`/cam%201/${file}`)).status).toBe(401); // without the session path
    const session = path.split('/')[2]!;
    const tampered = `${session.slice(0, -1)}${session.endsWith('A') ? 'B' : 'A'}`;
    expect((await get(`/s/${tampered}/cam%201/${file}`)).status).toBe(403);
    expect((await get(`/s/${session}/other/${file}`)).status).toBe(403); // another stream's media with this session
    const other = uris.map((u) => new URL(u, `http://relay/cam%201/cam%201.m3u8`).pathname.split('/').pop()!).find((f) => f !== file)!;
    expect((await get(`/s/${session}/cam%201/${other}`)).status).toBe(403); // another object with this one's token
    await hls.closeAll();
  });
});
