import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { matchCodec, parseSdp, pickAudioCodec, pickVideoCodec, plainSdp, SdpError, unifyMsid, videoPreference, type Codec } from '../../../relay/sdp/description.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/sdp/${name}`, import.meta.url), 'utf8');

describe('parseSdp on real Chromium offers', () => {
  const publish = parseSdp(fixture('chromium-publish-offer.sdp'));
  const play = parseSdp(fixture('chromium-play-offer.sdp'));

  it('reads m-lines, directions and codecs', () => {
    expect(publish.media.map((m) => [m.kind, m.direction])).toEqual([['audio', 'sendonly'], ['video', 'sendonly']]);
    expect(play.media.map((m) => m.direction)).toEqual(['recvonly', 'recvonly']);
    expect(play.media[1]!.codecs.find((c) => c.name === 'VP8')).toMatchObject({ clock: 90000 });
  });

  it('picks VP8 for video and Opus for audio', () => {
    expect(pickVideoCodec(publish.media[1]!)?.name).toBe('VP8');
    expect(pickAudioCodec(publish.media[0]!)).toMatchObject({ name: 'OPUS', clock: 48000, channels: 2 });
  });

  it('falls back to H264 packetization-mode 1, baseline first, when VP8 is absent', () => {
    const video = { ...publish.media[1]!, codecs: publish.media[1]!.codecs.filter((c) => c.name !== 'VP8') };
    const h264 = pickVideoCodec(video);
    expect(h264?.name).toBe('H264');
    expect(h264?.fmtp).toMatch(/packetization-mode=1/);
    expect(h264?.fmtp).toMatch(/profile-level-id=42/);
  });

  it('takes H264 from the same offer when the relay prefers it (WCS `codecs` order), VP8 otherwise', () => {
    expect(videoPreference(['opus', 'h264', 'vp8'])).toEqual(['H264', 'VP8']);
    expect(videoPreference(['opus', 'alaw'])).toEqual(['VP8', 'H264']);
    const h264 = pickVideoCodec(publish.media[1]!, videoPreference(['h264', 'vp8']));
    expect(h264?.name).toBe('H264');
    expect(h264?.fmtp).toMatch(/packetization-mode=1/);
  });

  it("finds the player's own payload type for the publisher's codec", () => {
    const source: Codec = { pt: 120, name: 'VP8', clock: 90000, fmtp: '', feedback: [] };
    const vp8 = play.media[1]!.codecs.find((c) => c.name === 'VP8')!;
    expect(matchCodec(play.media[1]!, source)?.pt).toBe(vp8.pt);
    const h264: Codec = { pt: 126, name: 'H264', clock: 90000, fmtp: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f', feedback: [] };
    const matched = matchCodec(play.media[1]!, h264)!;
    expect(matched.fmtp).toContain('profile-level-id=42e01f');
    expect(matched.fmtp).toContain('packetization-mode=1');
  });
});

describe('parseSdp rejects garbage with SdpError', () => {
  it.each([
    ['not a string', 42],
    ['empty', ''],
    ['no v=0', 'hello\r\n'],
    ['a broken line', 'v=0\r\nthis is not sdp\r\n'],
    ['no media', 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n'],
    ['a broken m-line', 'v=0\r\nm=video x RTP/AVP 96\r\n'],
    ['too large', `v=0\r\n${'a=x\r\n'.repeat(20000)}`],
  ])('%s', (_name, input) => {
    expect(() => parseSdp(input)).toThrow(SdpError);
  });
});

describe('plainSdp', () => {
  it('writes a plain RTP/AVP description on loopback that parses back', () => {
    const vp8: Codec = { pt: 96, name: 'VP8', clock: 90000, fmtp: '', feedback: [] };
    const opus: Codec = { pt: 111, name: 'OPUS', clock: 48000, channels: 2, fmtp: 'minptime=10', feedback: [] };
    const text = plainSdp([{ kind: 'audio', port: 40000, codecs: [opus] }, { kind: 'video', port: 40002, codecs: [vp8] }], 'recvonly');
    expect(text).toContain('a=rtpmap:111 opus/48000/2');
    expect(text).toContain('a=rtcp-fb:96 nack pli');
    const back = parseSdp(text);
    expect(back.media.map((m) => [m.kind, m.port, m.protocol, m.direction, m.address]))
      .toEqual([['audio', 40000, 'RTP/AVP', 'recvonly', '127.0.0.1'], ['video', 40002, 'RTP/AVP', 'recvonly', '127.0.0.1']]);
  });

  it('rejects an m-line it has no codec for with port 0', () => {
    expect(plainSdp([{ kind: 'video', port: 40002, codecs: [] }], 'sendonly')).toMatch(/^m=video 0 RTP\/AVP/m);
  });
});

describe('unifyMsid', () => {
  it('gives audio and video one MediaStream id, keeping track ids and CRLF', () => {
    const answer = 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=msid:janus janusa\r\na=ssrc:1 msid:janus janusa\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=msid:janusv janusv0\r\n';
    const out = unifyMsid(answer, 'siphon-1');
    expect(out).toContain('a=msid:siphon-1 janusa\r\n');
    expect(out).toContain('a=ssrc:1 msid:siphon-1 janusa\r\n');
    expect(out).toContain('a=msid:siphon-1 janusv0\r\n');
  });
});
