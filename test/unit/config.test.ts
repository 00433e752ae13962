import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, settings } from '../../relay/config.ts';
import { parseProperties } from '../../relay/properties.ts';
import { RELAY_NODE_ARGS } from '../../relay/node-args.ts';

describe('relay config', () => {
  it('has a default for every setting', () => {
    const c = loadConfig({});
    expect(c.wsPort).toBe(8080);
    expect(c.wssPort).toBe(8443);
    expect(c.keepAliveIntervalMs).toBe(5000);
    expect(c.keepAliveProbes).toBe(10);
    expect(c.mediaPorts).toEqual({ from: 31001, to: 32000 });
    expect(c.restToken).toBe('');
  });

  it('reads a flashphoner.properties file with WCS key names; the environment wins over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siphon-cfg-'));
    const file = join(dir, 'flashphoner.properties');
    writeFileSync(file, '# WCS settings\nws.port=9090\nmedia_port_from=40000\nmedia_port_to = 40999\nkeep_alive.probes=4\n! comment\nunknown.key=1\n');
    const c = loadConfig({ SIPHON_CONFIG: file, SIPHON_KEEPALIVE_PROBES: '6' });
    expect(c.wsPort).toBe(9090);
    expect(c.mediaPorts).toEqual({ from: 40000, to: 40999 });
    expect(c.keepAliveProbes).toBe(6);
  });

  it.each([
    [{ SIPHON_WS_PORT: 'eighty' }, /SIPHON_WS_PORT/],
    [{ SIPHON_MEDIA_PORTS: '5000-4000' }, /port range/],
    [{ SIPHON_MEDIA_PORTS: '1-70000' }, /port range/],
    [{ SIPHON_CONFIG: '/nonexistent/flashphoner.properties' }, /SIPHON_CONFIG/],
  ])('refuses %j with a ConfigError naming the setting', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('parses properties with = or : and ignores comments', () => {
    expect([...parseProperties('a=1\nb: two\n#c=3\n  d = 4 ').entries()]).toEqual([['a', '1'], ['b', 'two'], ['d', '4']]);
  });

  it('every setting has a README line naming its environment variable', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const spec of Object.values(settings)) expect(readme).toContain(`\`${spec.env}\``);
  });

  it('`npm run relay` starts the relay with the same Node arguments as `npm start` and the tests', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.relay).toBe(['node', ...RELAY_NODE_ARGS].join(' '));
  });
});
