/** WCS's mask lists (allow_domains, the publish and play name restrictions) on the examples WCS's documentation gives. */
import { describe, expect, it } from 'vitest';
import { NameMasks } from '../../../relay/access/name-masks.ts';

describe('NameMasks', () => {
  it('allow_domains=mydomain.com,wcs.mydomain.com: exact names only; anything else refused', () => {
    const m = new NameMasks(['mydomain.com', 'wcs.mydomain.com'], true);
    expect(m.refusal('mydomain.com')).toBeUndefined();
    expect(m.refusal('WCS.mydomain.com')).toBeUndefined();
    expect(m.refusal('evil.com')).toBe('no entry of the list allows it');
    expect(m.refusal('xmydomain.com')).toBeDefined();
  });

  it('*.mydomain.com masks any run of characters; a dot in a mask is a dot', () => {
    const m = new NameMasks(['*.mydomain.com'], true);
    expect(m.refusal('a.b.mydomain.com')).toBeUndefined();
    expect(m.refusal('mydomainxcom')).toBeDefined();
    expect(m.refusal('a.mydomain.com.evil.org')).toBeDefined();
  });

  it('!*.evildomain.com,*: the first match decides, the exclusion names the entry that refused', () => {
    const m = new NameMasks(['!*.evildomain.com', '*'], true);
    expect(m.refusal('cdn.evildomain.com')).toBe('refused by "!*.evildomain.com"');
    expect(m.refusal('good.example')).toBeUndefined();
  });

  it('names: allow one, refuse the rest with the catch-all last; names are case-sensitive', () => {
    const m = new NameMasks(['live-*', '!*']);
    expect(m.refusal('live-cam1')).toBeUndefined();
    expect(m.refusal('LIVE-cam1')).toBe('refused by "!*"');
    expect(m.refusal('test')).toBe('refused by "!*"');
  });

  it('an empty list restricts nothing (the default); blanks in a list are ignored', () => {
    expect(new NameMasks([]).restricts).toBe(false);
    expect(new NameMasks([]).refusal('anything')).toBeUndefined();
    expect(new NameMasks([' ', 'a']).refusal('a')).toBeUndefined();
  });
});
