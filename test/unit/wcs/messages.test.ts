import { describe, expect, it } from 'vitest';
import { frame, parseFrame, ProtocolError } from '../../../relay/wcs/frame.ts';
import { readStreamRequest, statusObject } from '../../../relay/wcs/messages.ts';

describe('WCS frames', () => {
  it('parses {message, data[]} and always writes a data array', () => {
    expect(parseFrame('{"message":"ping","data":[null]}')).toEqual({ message: 'ping', data: [null] });
    expect(JSON.parse(frame('pong', null))).toEqual({ message: 'pong', data: [null] });
    expect(JSON.parse(frame('setRemoteSDP', 'id', 'sdp', true)).data).toEqual(['id', 'sdp', true]);
  });

  it.each([
    'not json', '[]', 'null', '42', '{"data":[]}', '{"message":"x"}', '{"message":"x","data":{}}', '{"message":"","data":[]}',
    `{"message":"${'m'.repeat(65)}","data":[]}`,
  ])('rejects %s', (text) => {
    expect(() => parseFrame(text)).toThrow(ProtocolError);
  });
});

describe('stream requests', () => {
  const ok = { mediaSessionId: 'a-1', name: 'cam', sdp: 'v=0', custom: { x: 1 } };

  it('accepts a well-formed publish and echoes it without the SDP in statuses', () => {
    const r = readStreamRequest([ok], true);
    expect(r).toMatchObject({ mediaSessionId: 'a-1', name: 'cam' });
    expect(statusObject(r as never, 'FAILED', 'Stream not found')).toEqual({ mediaSessionId: 'a-1', name: 'cam', custom: { x: 1 }, status: 'FAILED', info: 'Stream not found' });
  });

  it.each([
    [[], 'data[0] is not a stream object'],
    [[{ ...ok, mediaSessionId: '' }], 'MediaSessionId is null'],
    [[{ ...ok, mediaSessionId: 7 }], 'MediaSessionId is null'],
    [[{ ...ok, name: ' ' }], 'Stream name is invalid'],
    [[{ ...ok, name: 'a\u0000b' }], 'Stream name is invalid'],
    [[{ ...ok, name: 'n'.repeat(257) }], 'Stream name is invalid'],
    [[{ ...ok, sdp: undefined }], 'SDP is missing'],
  ])('refuses %j with "%s"', (data, reason) => {
    expect(readStreamRequest(data, true)).toBe(reason);
  });
});
