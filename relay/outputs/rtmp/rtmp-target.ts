/**
 * Where an RTMP push goes, as WCS's `/rest-api/push/startup` takes it: `rtmpUrl` (rtmp:// or rtmps://) and,
 * unless `rtmpTransponderFullUrl` is true, the stream name appended as the stream key, as WCS does. The key is
 * a secret (a platform's stream key): what logs, metrics and find_all show is `masked`.
 */
export class RtmpTargetError extends Error {
  override name = 'RtmpTargetError';
}

export interface RtmpTarget {
  /** What ffmpeg dials, key included. */
  url: string;
  /** The same with the stream key and any query replaced by `***`. */
  masked: string;
}

export function rtmpTarget(rtmpUrl: string, streamName: string, fullUrl: boolean): RtmpTarget {
  let parsed: URL;
  try {
    parsed = new URL(rtmpUrl);
  } catch {
    throw new RtmpTargetError(`rtmpUrl: "${maskAll(rtmpUrl)}" is not a URL`);
  }
  if (parsed.protocol !== 'rtmp:' && parsed.protocol !== 'rtmps:') throw new RtmpTargetError('rtmpUrl: must start with rtmp:// or rtmps://');
  if (!parsed.hostname) throw new RtmpTargetError('rtmpUrl: has no host');
  const url = fullUrl ? rtmpUrl : `${rtmpUrl.replace(/\/+$/, '')}/${encodeURIComponent(streamName)}`;
  return { url, masked: maskKey(url) };
}

/** `rtmp://host/app/KEY?x=y` → `rtmp://host/app/***`: the last path segment is the key on every platform we know. */
export function maskKey(url: string): string {
  try {
    const u = new URL(url);
    const path = u.pathname.split('/');
    if (path.length > 2 && path.at(-1)) path[path.length - 1] = '***';
    return `${u.protocol}//${u.host}${path.join('/')}${u.search ? '?***' : ''}`;
  } catch {
    return maskAll(url);
  }
}

const maskAll = (s: string) => s.replace(/[^/:]+$/, '***');
