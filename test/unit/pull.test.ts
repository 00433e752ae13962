import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { retryDelayMs } from '../../relay/backoff.ts';
import { originAllowed } from '../../relay/wcs/origins.ts';
import { codecsFromAnswer } from '../../relay/sdp/remote-answer.ts';
import { SdpError } from '../../relay/sdp/description.ts';

describe('pull retry backoff', () => {
  it('the first retry comes within 1 s, whatever the jitter', () => {
    for (const r of [0, 0.5, 0.999]) expect(retryDelayMs(1, 30_000, () => r)).toBeLessThanOrEqual(1000);
  });

  it('grows exponentially and is capped at 30 s', () => {
    const max = (n: number) => retryDelayMs(n, 30_000, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(max)).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('jitters between half and all of the step, so pulls of one origin spread out', () => {
    expect(retryDelayMs(5, 30_000, () => 0)).toBe(4000);
    expect(retryDelayMs(5, 30_000, () => 1)).toBe(8000);
    const seen = new Set(Array.from({ length: 50 }, () => retryDelayMs(6, 30_000)));
    expect(seen.size).toBeGreaterThan(10);
  });
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

describe('codecsFromAnswer', () => {
  const answer = (video: string) => ['v=0', 'o=- 1 1 IN IP4 1.2.3.4', 's=-', 't=0 0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=rtpmap:111 opus/48000/2', 'a=fmtp:111 minptime=10;useinbandfec=1',
    video, 'a=rtpmap:96 VP8/90000', 'a=rtpmap:102 H264/90000',
    'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f', ''].join('\r\n');

  it('takes the codec the remote put first in its answer', () => {
    expect(codecsFromAnswer(answer('m=video 9 UDP/TLS/RTP/SAVPF 102 96'))).toMatchObject({ video: { name: 'H264', pt: 102 }, audio: { name: 'OPUS', pt: 111 } });
    expect(codecsFromAnswer(answer('m=video 9 UDP/TLS/RTP/SAVPF 96 102')).video).toMatchObject({ name: 'VP8', pt: 96 });
  });

  it('ignores a rejected m-line and refuses an answer with nothing we carry', () => {
    expect(codecsFromAnswer(answer('m=video 0 UDP/TLS/RTP/SAVPF 96')).video).toBeUndefined();
    expect(() => codecsFromAnswer('v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 98\r\na=rtpmap:98 VP9/90000\r\n')).toThrow(SdpError);
  });

  it('reads a real Chromium description', () => {
    const sdp = readFileSync(new URL('../fixtures/sdp/chromium-publish-offer.sdp', import.meta.url), 'utf8');
    expect(codecsFromAnswer(sdp)).toMatchObject({ video: { name: 'VP8' }, audio: { name: 'OPUS' } });
  });
});
