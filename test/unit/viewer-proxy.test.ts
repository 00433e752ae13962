import { describe, expect, it } from 'vitest';
import { refusal } from '../../relay/janus/viewer-proxy.ts';

describe('viewer proxy filter', () => {
  it.each([
    [{ janus: 'create', transaction: 't' }],
    [{ janus: 'attach', plugin: 'janus.plugin.streaming' }],
    [{ janus: 'message', body: { request: 'watch', id: 'cam' } }],
    [{ janus: 'message', body: { request: 'start' }, jsep: {} }],
    [{ janus: 'keepalive' }],
  ])('lets a viewer do %j', (msg) => {
    expect(refusal(msg)).toBeUndefined();
  });

  it.each([
    [null, /JSON object/],
    [{ janus: 'attach', plugin: 'janus.plugin.nosip' }, /only janus.plugin.streaming/],
    [{ janus: 'message', body: { request: 'create', type: 'rtp' } }, /request create not allowed/],
    [{ janus: 'message', body: { request: 'destroy', id: 'cam' } }, /request destroy not allowed/],
    [{ janus: 'message', body: {} }, /not allowed/],
    [{ janus: 'list_sessions' }, /verb list_sessions not allowed/],
  ])('refuses %j', (msg, why) => {
    expect(refusal(msg)).toMatch(why);
  });
});
