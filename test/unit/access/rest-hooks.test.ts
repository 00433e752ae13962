/** WCS REST hooks on the wire, against a real HTTP backend on loopback: URLs, signing, answers, restClientConfig, outages. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import type { Logger } from '../../../relay/log.ts';
import { RestHooks, readRestClientConfig, type HookApp } from '../../../relay/access/rest-hooks.ts';
import { HookBackend } from '../../harness/hook-backend.ts';

export function recordingLog(): { log: Logger; lines: { level: string; event: string; fields: Record<string, unknown> }[] } {
  const lines: { level: string; event: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (event: string, fields: Record<string, unknown> = {}) => { lines.push({ level, event, fields }); };
  const log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log } as unknown as Logger;
  return { log, lines };
}

describe('RestHooks', () => {
  let backend: HookBackend;
  beforeEach(async () => { backend = await HookBackend.start(); });
  afterEach(async () => { await backend.close(); });

  const hooks = (opts: { secret?: string; timeoutMs?: number; methods?: HookApp['methods']; url?: string } = {}) => {
    const { log, lines } = recordingLog();
    const app: HookApp = { url: opts.url ?? backend.url, methods: opts.methods ?? new Set(['connect', 'publishStream', 'playStream']) };
    return { hooks: new RestHooks({ apps: new Map([['defaultApp', app]]), timeoutMs: opts.timeoutMs ?? 2000, secret: opts.secret ?? '', log }), lines };
  };

  it('POSTs the body to <app URL>/<method> and reads the 200 answer; an unknown appKey or method sends nothing', async () => {
    const { hooks: h } = hooks();
    expect(await h.call('defaultApp', 'publishStream', { name: 'cam', appKey: 'defaultApp' })).toMatchObject({ kind: 'allowed', body: { name: 'cam' } });
    expect(backend.calls).toMatchObject([{ method: 'publishStream', body: { name: 'cam' } }]);
    expect(await h.call('otherApp', 'publishStream', {})).toEqual({ kind: 'not_sent' });
    expect(await h.call('defaultApp', 'StreamStatusEvent', {})).toEqual({ kind: 'not_sent' });
    expect(backend.calls).toHaveLength(1);
  });

  it("signs the exact body with rest_hook_secret_key as WCS does: Authorization: WCS <hex HMAC-MD5>", async () => {
    const { hooks: h } = hooks({ secret: 'k3y' });
    await h.call('defaultApp', 'connect', { appKey: 'defaultApp', custom: { token: 't' } });
    const [call] = backend.calls;
    expect(call!.authorization).toBe(`WCS ${createHmac('md5', 'k3y').update(call!.raw).digest('hex')}`);
    expect(call!.authorization).toMatch(/^WCS [0-9a-f]{32}$/);
  });

  it('a non-200 answer is a refusal; a hang past the timeout, a closed port or a body that is not JSON is an unreachable backend', async () => {
    backend.behaviour.set('publishStream', { status: 403 });
    backend.behaviour.set('playStream', 'hang');
    backend.behaviour.set('connect', 'not-json');
    const { hooks: h } = hooks({ timeoutMs: 200 });
    expect(await h.call('defaultApp', 'publishStream', {})).toEqual({ kind: 'refused', status: 403 });
    expect(await h.call('defaultApp', 'playStream', {})).toEqual({ kind: 'unreachable', reason: 'no answer within 200 ms' });
    expect(await h.call('defaultApp', 'connect', {})).toMatchObject({ kind: 'unreachable', reason: 'the answer is not a JSON object' });
    const gone = await HookBackend.start();
    await gone.close();
    const { hooks: closed } = hooks({ url: gone.url });
    expect(await closed.call('defaultApp', 'connect', {})).toEqual({ kind: 'unreachable', reason: 'ECONNREFUSED' });
  });

  it('an outage is logged once when it starts and once when it ends, not per request', async () => {
    backend.behaviour.set('playStream', 'hang');
    const { hooks: h, lines } = hooks({ timeoutMs: 100 });
    for (let i = 0; i < 5; i++) await h.call('defaultApp', 'playStream', {});
    backend.behaviour.delete('playStream');
    await h.call('defaultApp', 'playStream', {});
    await h.call('defaultApp', 'playStream', {});
    expect(lines.map((l) => l.event)).toEqual(['hooks.backend_down', 'hooks.backend_up']);
  });

  it('restClientConfig: DISABLE sends nothing, restExclude drops fields, OVERWRITE takes the fields restOverwrite names', async () => {
    backend.behaviour.set('publishStream', { status: 200, extra: { name: 'renamed', record: true } });
    const { hooks: h } = hooks();
    const rcc = readRestClientConfig({
      publishStream: { restPolicy: 'OVERWRITE', restOverwrite: 'name', restExclude: 'sdp,custom', restOnError: 'FAIL' },
      playStream: { restPolicy: 'DISABLE' }, bogus: { restPolicy: 'OVERWRITE' }, connect: { restOnError: 'MAYBE' },
    });
    expect(rcc).toEqual({ publishStream: { restPolicy: 'OVERWRITE', restOverwrite: 'name', restExclude: 'sdp,custom', restOnError: 'FAIL' }, playStream: { restPolicy: 'DISABLE' }, connect: {} });
    const answer = await h.call('defaultApp', 'publishStream', { name: 'cam', sdp: 'v=0', custom: { token: 'x' } }, rcc.publishStream);
    expect(answer).toMatchObject({ kind: 'allowed', overwrite: { name: 'renamed' } });
    expect(backend.calls[0]!.body).toEqual({ name: 'cam' });
    expect(await h.call('defaultApp', 'playStream', {}, rcc.playStream)).toEqual({ kind: 'not_sent' });
    expect(backend.calls).toHaveLength(1);
  });
});
