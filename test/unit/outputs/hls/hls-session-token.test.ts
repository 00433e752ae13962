/** The HLS media path's session token: one HMAC, no I/O; bound to its stream, its expiry and its key. */
import { describe, expect, it } from 'vitest';
import { HlsSessionTokens } from '../../../../relay/outputs/hls/hls-session-token.ts';

describe('HLS session tokens', () => {
  const tokens = new HlsSessionTokens('shared-with-the-edge');
  const now = Date.parse('2026-12-02T20:00:00Z');

  it('admits its own stream until it expires, and says why not otherwise', () => {
    const t = tokens.mint('cam', 'sub:alice', now + 12_000);
    expect(t).toMatch(/^[0-9a-z]+\.[\w-]{8}\.[\w-]{22}$/);
    expect(tokens.check(t, 'cam', now)).toBeUndefined();
    expect(tokens.check(t, 'cam', now + 12_001)).toBe('session token expired; reload the playlist');
    expect(tokens.check(t, 'cam2', now)).toBe('session token not valid for this stream');
    expect(tokens.check(`${t}x`, 'cam', now)).toBe('malformed session token');
  });

  it('another key (another relay, or a restart with a random key) does not accept it; the same key does', () => {
    const t = tokens.mint('cam', 'sub:alice', now + 12_000);
    expect(new HlsSessionTokens('another-key').check(t, 'cam', now)).toBe('session token not valid for this stream');
    expect(new HlsSessionTokens('shared-with-the-edge').check(t, 'cam', now)).toBeUndefined();
    expect(new HlsSessionTokens('').check(t, 'cam', now)).toBe('session token not valid for this stream');
  });

  it('a later expiry cannot be written into a token: the MAC covers it', () => {
    const [, who, mac] = tokens.mint('cam', 'sub:alice', now + 1000).split('.');
    expect(tokens.check(`${(Math.ceil((now + 3_600_000) / 1000)).toString(36)}.${who}.${mac}`, 'cam', now + 2000)).toBe('session token not valid for this stream');
  });
});
