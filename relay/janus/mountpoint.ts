/**
 * A Streaming-plugin RTP mountpoint named after its stream. Janus picks the ingest ports from the
 * plugin range (`port: 0`); we read them back from the raw reply because janode's helper drops them.
 * The video stream gets an `rtcpport` so viewers' PLIs can reach the source.
 */
import type { Codec } from '../sdp/description.ts';
import type { PluginHandle } from './client.ts';
import { JanusRequestError } from './client.ts';

export interface MountpointPorts { audio?: number; video?: number; videoRtcp?: number }

interface CreateReply { stream?: { id: string; ports?: { type: string; port: number; rtcp_port?: number }[] } }

function mediaEntry(kind: 'audio' | 'video', codec: Codec): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    type: kind, mid: kind === 'audio' ? 'a' : 'v', port: 0, iface: '127.0.0.1', pt: codec.pt,
    codec: codec.name.toLowerCase(),
  };
  if (codec.fmtp) entry.fmtp = codec.fmtp;
  if (kind === 'video') entry.rtcpport = 0;
  return entry;
}

export class Mountpoint {
  private constructor(readonly id: string, readonly ports: MountpointPorts, private readonly handle: PluginHandle,
    private readonly adminKey: string) {}

  static async create(handle: PluginHandle, adminKey: string, id: string,
    codecs: { audio?: Codec; video?: Codec }): Promise<Mountpoint> {
    const media = [];
    if (codecs.video) media.push(mediaEntry('video', codecs.video));
    if (codecs.audio) media.push(mediaEntry('audio', codecs.audio));
    const reply = await handle.request({
      request: 'create', type: 'rtp', id, name: id, description: id, admin_key: adminKey,
      permanent: false, collision: 0, media,
    });
    const stream = (reply.data as CreateReply).stream;
    if (!stream?.ports) throw new JanusRequestError(0, 'Streaming create returned no ports');
    const ports: MountpointPorts = {};
    for (const p of stream.ports) {
      if (p.type === 'audio') ports.audio = p.port;
      if (p.type === 'video') { ports.video = p.port; ports.videoRtcp = p.rtcp_port; }
    }
    return new Mountpoint(id, ports, handle, adminKey);
  }

  async destroy(): Promise<void> {
    await this.handle.request({ request: 'destroy', id: this.id, admin_key: this.adminKey, permanent: false });
  }
}
