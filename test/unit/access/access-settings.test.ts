/** The hook applications an operator's settings describe, and the settings a relay refuses to start with. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../relay/config.ts';
import { hookApps } from '../../../relay/access/access-settings.ts';

describe('hook applications from the settings', () => {
  it('defaultApp from SIPHON_REST_HOOKS_URL; others from SIPHON_REST_HOOKS_APPS, with their own methods or the default list', () => {
    const apps = hookApps(loadConfig({
      SIPHON_REST_HOOKS_URL: 'http://backend/apps/EchoApp',
      SIPHON_REST_HOOKS_APPS: JSON.stringify({ studio: 'http://studio/rest', kiosk: { url: 'http://kiosk/rest', methods: ['connect', 'StreamKeepAliveEvent'] } }),
    }));
    expect([...apps.keys()]).toEqual(['defaultApp', 'studio', 'kiosk']);
    expect(apps.get('defaultApp')!.methods.has('publishStream')).toBe(true);
    expect(apps.get('defaultApp')!.methods.has('StreamKeepAliveEvent')).toBe(false); // opt-in, as in WCS
    expect([...apps.get('kiosk')!.methods]).toEqual(['connect', 'StreamKeepAliveEvent']);
    expect(hookApps(loadConfig({})).size).toBe(0); // nothing configured: no hooks
  });

  it('refuses what it cannot use, saying what is wrong', () => {
    const apps = (env: Record<string, string>) => () => hookApps(loadConfig(env));
    expect(apps({ SIPHON_REST_HOOKS_APPS: '{not json' })).toThrow(ConfigError);
    expect(apps({ SIPHON_REST_HOOKS_APPS: '{"a": "not a url"}' })).toThrow(/SIPHON_REST_HOOKS_APPS: a/);
    expect(apps({ SIPHON_REST_HOOKS_APPS: '{"a": {"url": "http://x/", "methods": ["publish"]}}' })).toThrow(ConfigError);
    expect(apps({ SIPHON_REST_HOOKS_URL: 'backend' })).toThrow(/SIPHON_REST_HOOKS_URL: not a URL/);
    // A credential in the URL would end up in logs (fetch repeats the URL when it refuses it): refused, and not repeated.
    for (const env of [{ SIPHON_REST_HOOKS_URL: 'http://app:s3cret@x/' }, { SIPHON_REST_HOOKS_APPS: '{"a": "http://app:s3cret@x/"}' }] as Record<string, string>[]) {
      expect(apps(env)).toThrow(/a URL with a user or password in it is refused/);
      expect(() => hookApps(loadConfig(env))).not.toThrow(/s3cret/);
    }
    expect(apps({ SIPHON_REST_HOOKS_URL: 'http://x/', SIPHON_REST_HOOKS_METHODS: 'connect,publish' })).toThrow(/unknown publish/);
    expect(() => loadConfig({ SIPHON_REST_HOOKS_ON_ERROR: 'IGNORE' })).toThrow(/SIPHON_REST_HOOKS_ON_ERROR: FAIL or LOG/);
  });
});
