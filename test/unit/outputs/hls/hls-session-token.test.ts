/** The HLS media path's session token: one HMAC, no I/O; bound to its stream, its object, its expiry and its key. */
import { describe, expect, it } from 'vitest';
import { HlsSessionTokens } from '../../../../relay/outputs/hls/hls-session-token.ts';

const FILE = 'seg-ab12-7.m4s';

describe('HLS session tokens', () => {
  const tokens = new HlsSessionTokens('shared-with-the-edge');
  const now = Date.parse('2026-12-02T20:00:00Z');

  it('admits its own object of its own stream until it expires, and says why not otherwise', () => {
    const t = tokens.mint('cam', FILE, 'sub:alice', now + 12_000);
    expect(t).toMatch(/^[0-9a-z]+\.[\w-]{8}\.[\w-]{22}$/);
    expect(tokens.check(t, 'cam', FILE, now)).toBeUndefined();
    expect(tokens.check(t, 'cam', FILE, now + 12_001)).toBe('session token expired; reload the playlist');
    expect(tokens.check(t, 'cam2', FILE, now)).toBe('session token not valid for this stream or file');
    expect(tokens.check(t, 'cam', 'seg-ab12-8.m4s', now)).toBe('session token not valid for this stream or file'); // the next object: not guessable
    expect(tokens.check(`${t}x`, 'cam', FILE, now)).toBe('malformed session token');
  });

  it('another key (another relay, or a restart with a random key) does not accept it; the same key does', () => {
    const t = tokens.mint('cam', FILE, 'sub:alice', now + 12_000);
    expect(new HlsSessionTokens('another-key').check(t, 'cam', FILE, now)).toBe('session token not valid for this stream or file');
    expect(new HlsSessionTokens('shared-with-the-edge').check(t, 'cam', FILE, now)).toBeUndefined();
    expect(new HlsSessionTokens('').check(t, 'cam', FILE, now)).toBe('session token not valid for this stream or file');
  });

  it('a later expiry cannot be written into a token: the MAC covers it', () => {
    const [, who, mac] = tokens.mint('cam', FILE, 'sub:alice', now + 1000).split('.');
    expect(tokens.check(`${(Math.ceil((now + 3_600_000) / 1000)).toString(36)}.${who}.${mac}`, 'cam', FILE, now + 2000)).toBe('session token not valid for this stream or file');
  });
});
