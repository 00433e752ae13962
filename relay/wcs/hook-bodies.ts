/**
 * The bodies WCS sends its REST hooks, built from a WCS session and its streams, so a backend written for WCS
 * reads them unchanged: every one carries `nodeId`, `appKey` and `sessionId`; `connect` the client's connection
 * object; the stream methods the stream object (`mediaSessionId`, `name`, `published`, `hasVideo`, `hasAudio`,
 * `status`, `record`, `width`, `height`, `mediaProvider`, the client's `custom`…), without its SDP.
 */
import { hostname } from 'node:os';
import type { StreamRequest } from './messages.ts';

export interface HookSession {
  nodeId: string;
  appKey: string;
  sessionId: string;
}

export function nodeIdOf(address: string): string {
  return `${hostname()}@${address}`;
}

export function connectBody(session: HookSession, given: Record<string, unknown>, urlServer: string): Record<string, unknown> {
  return { ...given, ...session, urlServer, status: 'PENDING' };
}

export function connectionStatusBody(session: HookSession, status: 'ESTABLISHED' | 'DISCONNECTED' | 'FAILED', info = ''): Record<string, unknown> {
  return { ...session, status, info };
}

/** A stream object as WCS sends it: the client's fields, WCS's defaults where the client gave none. */
export function streamBody(session: HookSession, request: StreamRequest, published: boolean, status: string, info = ''): Record<string, unknown> {
  const { sdp: _sdp, ...fields } = request;
  return {
    hasVideo: /m=video/.test(request.sdp ?? 'm=video'), hasAudio: /m=audio/.test(request.sdp ?? 'm=audio'),
    record: false, width: 0, height: 0, bitrate: 0, quality: 0, mediaProvider: 'WebRTC', custom: {},
    ...fields, ...session, published, status, info,
  };
}

export function dataBody(session: HookSession, operationId: unknown, payload: unknown): Record<string, unknown> {
  return { ...session, operationId, payload };
}
