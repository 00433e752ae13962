/** The relay's RTMP pushes (WCS's `/rest-api/push/*`): one per stream and target, found by stream, target or id. */
import type { RelayContext } from '../../context.ts';
import type { EncoderSettings } from '../hls/ffmpeg-packager.ts';
import { RtmpPush } from './rtmp-push.ts';
import { maskKey, rtmpTarget } from './rtmp-target.ts';
import { spawnFfmpegPusher, type SpawnPusher } from './ffmpeg-rtmp.ts';

export class PushRefusedError extends Error {
  override name = 'PushRefusedError';
  constructor(readonly status: 404 | 409, message: string) { super(message); }
}

export interface PushRecord {
  mediaSessionId: string; streamName: string; rtmpUrl: string; status: string; state: string;
  attempts: number; lastError: string | null; transcodes: boolean; bitrateKbps: number; bytesSent: number; createdDate: number;
}

/** WCS-style statuses for the sink's states. */
const STATUS = { idle: 'PENDING', starting: 'PENDING', running: 'PUBLISHING', restarting: 'FAILED', stopped: 'STOPPED' } as const;

export class RtmpPushes {
  private readonly pushes = new Map<string, RtmpPush>();

  constructor(private readonly ctx: RelayContext, private readonly encoder: EncoderSettings, private readonly spawn: SpawnPusher = spawnFfmpegPusher) {}

  async startup(streamName: string, rtmpUrl: string, fullUrl: boolean): Promise<RtmpPush> {
    const target = rtmpTarget(rtmpUrl, streamName, fullUrl);
    const stream = this.ctx.registry.get(streamName);
    if (!stream || stream.isClosed) throw new PushRefusedError(404, `no stream "${streamName}" on this relay`);
    if (this.all().some((p) => p.stream.name === streamName && p.target.url === target.url)) {
      throw new PushRefusedError(409, `"${streamName}" is already pushed to ${target.masked}`);
    }
    const push = new RtmpPush(stream, target, { teePorts: this.ctx.teePorts, spawn: this.spawn, encoder: this.encoder, webhooks: this.ctx.webhooks }, this.ctx.log);
    this.pushes.set(push.mediaSessionId, push);
    push.on('state', (s) => { if (s === 'stopped') this.pushes.delete(push.mediaSessionId); });
    await push.open();
    push.log.info('rtmp.push_started', { transcodes: push.transcodes });
    return push;
  }

  /**
   * A WCS publish with `rtmpUrl` (the SDK's republishing page): pushed to `<rtmpUrl>/<prefix><name>`, as WCS
   * does (`rtmp_transponder_stream_name_prefix`, `rtmp_` by default); it ends with the stream. A target that
   * cannot be used is logged and the publish goes on.
   */
  async republish(streamName: string, rtmpUrl: string): Promise<void> {
    const url = `${rtmpUrl.replace(/\/+$/, '')}/${encodeURIComponent(`${this.ctx.config.rtmpStreamNamePrefix}${streamName}`)}`;
    await this.startup(streamName, url, true).catch((err: Error) =>
      this.ctx.log.warn('rtmp.republish_refused', { stream: streamName, reason: err.message.split(url).join(maskKey(url)) }));
  }

  all(): RtmpPush[] { return [...this.pushes.values()]; }

  find(f: { streamName?: string; rtmpUrl?: string; mediaSessionId?: string }): RtmpPush[] {
    return this.all().filter((p) => (f.mediaSessionId === undefined || p.mediaSessionId === f.mediaSessionId)
      && (f.streamName === undefined || p.stream.name === f.streamName)
      && (f.rtmpUrl === undefined || p.target.url.startsWith(f.rtmpUrl.replace(/\/+$/, ''))));
  }

  async terminate(mediaSessionId: string): Promise<boolean> {
    const push = this.pushes.get(mediaSessionId);
    if (!push) return false;
    await push.close('Stopped by rest /push/terminate');
    return true;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.all().map((p) => p.close('relay shutting down')));
  }

  static record(p: RtmpPush): PushRecord {
    return {
      mediaSessionId: p.mediaSessionId, streamName: p.stream.name, rtmpUrl: p.target.masked, status: STATUS[p.state], state: p.state,
      attempts: p.attempts, lastError: p.lastError, transcodes: p.transcodes, bitrateKbps: p.kbps, bytesSent: p.bytesSent, createdDate: p.createdAt,
    };
  }
}
