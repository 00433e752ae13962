/**
 * A WCS session's access against a real hook backend on loopback: WCS's stream keep-alive (StreamKeepAliveEvent
 * reports each live stream; a refusal ends that stream, an unreachable backend ends nothing) and its end.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AccessControl } from '../../../relay/access/access-control.ts';
import { RestHooks } from '../../../relay/access/rest-hooks.ts';
import { TokenVerifier } from '../../../relay/access/token-verifier.ts';
import { SessionAccess } from '../../../relay/wcs-server/session-access.ts';
import { HookBackend } from '../../harness/hook-backend.ts';
import { recordingLog } from '../access/rest-hooks.test.ts';
import { recordedWebhooks } from '../fakes/recorded-webhooks.ts';
import { NameMasks } from '../../../relay/access/name-masks.ts';

describe('SessionAccess: the stream keep-alive', () => {
  let backend: HookBackend;
  let session: SessionAccess;
  beforeEach(async () => { backend = await HookBackend.start(); });
  afterEach(async () => { session?.close(); await backend.close(); });

  const open = async (methods: string[]) => {
    const { log } = recordingLog();
    const access = new AccessControl({
      tokens: new TokenVerifier({ secret: '', publicKeys: '', jwksUrl: '' }),
      hooks: new RestHooks({ apps: new Map([['defaultApp', { url: backend.url, methods: new Set(methods as never[]) }]]), timeoutMs: 200, secret: '', log }),
      onError: 'FAIL', graceMs: 0, log, webhooks: recordedWebhooks(),
    });
    const ended: [string, string][] = [];
    const live = new Set(['m1', 'm2']);
    session = new SessionAccess(access, { remote: '10.0.0.9:5000', address: '10.0.0.9', urlServer: 'ws://relay/', nodeId: 'n@relay' }, 's1',
      { end: (id, info) => { ended.push([id, info]); live.delete(id); }, isLive: (id) => live.has(id) }, 50);
    expect(await session.connect({ appKey: 'defaultApp' })).toMatchObject({ allow: true });
    for (const [id, name] of [['m1', 'cam'], ['m2', 'lobby']] as const) expect(await session.stream('play', { mediaSessionId: id, name })).toMatchObject({ allow: true });
    return { ended, live };
  };

  it('reports each live stream; a 403 for one ends that one only, with the reason', async () => {
    const { ended } = await open(['connect', 'playStream', 'StreamKeepAliveEvent']);
    await vi.waitFor(() => expect(backend.of('StreamKeepAliveEvent').length).toBeGreaterThanOrEqual(4));
    // Both streams' events go out at once: their order on the wire is not theirs to keep.
    expect(backend.of('StreamKeepAliveEvent').map((r) => r.body)).toContainEqual(expect.objectContaining({ name: 'cam', published: false, status: 'PLAYING', sessionId: 's1', appKey: 'defaultApp' }));
    expect(ended).toEqual([]);
    backend.behaviour.set('StreamKeepAliveEvent', { status: 403 });
    await vi.waitFor(() => expect(ended).toHaveLength(2));
    expect(ended.sort()).toEqual([['m1', 'Forbidden: the backend refused StreamKeepAliveEvent (HTTP 403)'], ['m2', 'Forbidden: the backend refused StreamKeepAliveEvent (HTTP 403)']]);
    const calls = backend.of('StreamKeepAliveEvent').length;
    await new Promise((r) => setTimeout(r, 150));
    expect(backend.of('StreamKeepAliveEvent')).toHaveLength(calls); // nothing live is left to report
  });

  it('an unreachable backend ends nothing', async () => {
    backend.behaviour.set('StreamKeepAliveEvent', 'hang');
    const { ended } = await open(['connect', 'playStream', 'StreamKeepAliveEvent']);
    await vi.waitFor(() => expect(backend.of('StreamKeepAliveEvent').length).toBeGreaterThanOrEqual(2));
    expect(ended).toEqual([]);
  });

  it('an app without the method hears nothing', async () => {
    const { ended } = await open(['connect', 'playStream']);
    await new Promise((r) => setTimeout(r, 200));
    expect(backend.of('StreamKeepAliveEvent')).toEqual([]);
    expect(ended).toEqual([]);
  });
});

describe('SessionAccess: a backend rename and the name lists', () => {
  let backend: HookBackend;
  beforeEach(async () => { backend = await HookBackend.start(); });
  afterEach(async () => { await backend.close(); });

  it('a publish the backend renames (restPolicy OVERWRITE) to a name the publish list refuses is refused, saying which', async () => {
    const { log } = recordingLog();
    const access = new AccessControl({
      tokens: new TokenVerifier({ secret: '', publicKeys: '', jwksUrl: '' }),
      hooks: new RestHooks({ apps: new Map([['defaultApp', { url: backend.url, methods: new Set(['connect', 'publishStream'] as never[]) }]]), timeoutMs: 500, secret: '', log }),
      onError: 'FAIL', graceMs: 0, log, webhooks: recordedWebhooks(),
      names: { publish: new NameMasks(['!secret-*', '*']), play: new NameMasks([]) },
    });
    backend.behaviour.set('connect', { status: 200, extra: { restClientConfig: { publishStream: { restPolicy: 'OVERWRITE', restOverwrite: 'name' } } } });
    backend.behaviour.set('publishStream', { status: 200, extra: { name: 'secret-board' } });
    const session = new SessionAccess(access, { remote: '10.0.0.9:5000', address: '10.0.0.9', urlServer: 'ws://relay/', nodeId: 'n@relay' }, 's1',
      { end: () => undefined, isLive: () => false }, 0);
    expect(await session.connect({ appKey: 'defaultApp' })).toMatchObject({ allow: true });
    expect(await session.stream('publish', { mediaSessionId: 'm1', name: 'cam' })).toEqual({ allow: false, status: 403,
      reason: 'the name "secret-board" may not be published here: refused by "!secret-*"' });
    backend.behaviour.set('publishStream', { status: 200, extra: { name: 'public-board' } });
    expect(await session.stream('publish', { mediaSessionId: 'm2', name: 'cam' })).toMatchObject({ allow: true, overwrite: { name: 'public-board' } });
    session.close();
  });
});
