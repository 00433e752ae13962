/** What a remote WCS chose in its answer to the pull's offer: codecsFromAnswer. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { codecsFromAnswer } from '../../../relay/sdp/remote-answer.ts';
import { SdpError } from '../../../relay/sdp/description.ts';

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
    const sdp = readFileSync(new URL('../../fixtures/sdp/chromium-publish-offer.sdp', import.meta.url), 'utf8');
    expect(codecsFromAnswer(sdp)).toMatchObject({ video: { name: 'VP8' }, audio: { name: 'OPUS' } });
  });
});
