/**
 * Where the agent may dial: pull_allowed_origins' patterns, and the metadata refusal by name and by the address a
 * dial resolves to (DNS rebinding).
 */
import { describe, expect, it } from 'vitest';
import type { LookupAddress } from 'node:dns';
import { checkResolvedOrigin, guardedLookup, isMetadataAddress, originAllowed } from '../../../relay/wcs/origins.ts';

const dial = (uri: string, allow: string[] = [], host = new URL(uri).hostname) => new Promise<string>((resolve, reject) => {
  guardedLookup(new URL(uri), allow)(host, { all: false }, (err, address) => (err ? reject(err) : resolve(address as string)));
});

describe('pull_allowed_origins', () => {
  const allowed = (uri: string, ...patterns: string[]) => originAllowed(new URL(uri), patterns);

  it('allows everything when unset', () => {
    expect(allowed('wss://anything.example:8443')).toBe(true);
  });

  it('matches hosts exactly, subdomains with *., and ports when given', () => {
    expect(allowed('ws://wcs1.example.com:8080', 'wcs1.example.com')).toBe(true);
    expect(allowed('ws://WCS1.Example.com:8080', 'wcs1.example.com')).toBe(true);
    expect(allowed('ws://evil-wcs1.example.com:8080', 'wcs1.example.com')).toBe(false);
    expect(allowed('wss://a.b.example.com:8443', '*.example.com')).toBe(true);
    expect(allowed('wss://example.com:8443', '*.example.com')).toBe(false);
    expect(allowed('wss://notexample.com:8443', '*.example.com')).toBe(false);
    expect(allowed('ws://10.0.0.5:8080', '10.0.0.5:8080')).toBe(true);
    expect(allowed('ws://10.0.0.5:9090', '10.0.0.5:8080')).toBe(false);
    expect(allowed('wss://wcs.example.com', 'wcs.example.com:443')).toBe(true);
    expect(allowed('ws://[::1]:8080', '::1:8080')).toBe(true);
  });
});

describe('metadata addresses', () => {
  it('169.254.0.0/16, AWS IPv6, Alibaba, IPv6 link-local and their IPv4-mapped forms; not ordinary ones', () => {
    expect(['169.254.169.254', '169.254.0.1', 'fd00:ec2::254', '100.100.100.200', 'fe80::1', '::ffff:169.254.169.254'].map(isMetadataAddress))
      .toEqual([true, true, true, true, true, true]);
    expect(['127.0.0.1', '10.0.0.5', '198.18.1.2', '::1', '2001:db8::1'].map(isMetadataAddress)).toEqual([false, false, false, false, false]);
  });

  it('a dial whose name resolves to one is refused with 403 at the dial; allowed when pull_allowed_origins names it', async () => {
    await expect(dial('ws://169.254.169.254:8080')).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/resolves to 169\.254\.169\.254/) });
    expect(await dial('ws://169.254.169.254:8080', ['169.254.169.254:8080'])).toBe('169.254.169.254');
    expect(await dial('ws://localhost:8080')).toMatch(/^(127\.0\.0\.1|::1)$/);
  });

  it('with all: true (what http.request asks) every address comes back', async () => {
    const all = await new Promise<LookupAddress[]>((resolve, reject) => guardedLookup(new URL('http://localhost'), [])('localhost', { all: true },
      (err, addresses) => (err ? reject(err) : resolve(addresses as unknown as LookupAddress[]))));
    expect(all.length).toBeGreaterThan(0);
  });

  it('the REST-time check refuses a metadata address (403) and lets a name that does not resolve through to its attempt', async () => {
    await expect(checkResolvedOrigin('ws://169.254.169.254', { pullAllowedOrigins: [], wcsAgentSsl: false })).rejects.toMatchObject({ status: 403 });
    await expect(checkResolvedOrigin('ws://no-such-host.invalid', { pullAllowedOrigins: [], wcsAgentSsl: false })).resolves.toBeUndefined();
    await expect(checkResolvedOrigin('ws://169.254.169.254', { pullAllowedOrigins: ['169.254.169.254'], wcsAgentSsl: false })).resolves.toBeUndefined();
  });
});
