/**
 * The Janus API as streams, legs and mountpoints use it (JanusApi), faked: NoSIP answers `process` and
 * `generate` with SDPs of the right shape, Streaming makes mountpoints with ports and answers a viewer's offer on
 * `watch` (the patched Janus does), and the test decides
 * when a leg's WebRTC comes up (`webrtcUp`), hangs up (`hangup`) or when Janus dies (`die`).
 */
import { EventEmitter } from 'node:events';
import type { HandleEvents, JanusApi, Jsep, PluginHandle, PluginName, PluginReply, TrickleCandidate } from '../../../relay/janus/client.ts';
import { parseSdp, plainSdp } from '../../../relay/sdp/description.ts';

let nextPort = 21000;

/** A plain (NoSIP) or WebRTC-looking SDP with the same m-lines as `sdp`, on fresh ports. */
function mirror(sdp: string, direction: 'sendonly' | 'recvonly' | 'sendrecv'): string {
  return plainSdp(parseSdp(sdp).media.map((m) => ({ kind: m.kind, port: m.port === 0 ? 0 : (nextPort += 2), codecs: m.codecs })), direction);
}

export class FakeHandle extends EventEmitter<HandleEvents> implements PluginHandle {
  readonly requests: { body: Record<string, unknown>; jsep?: Jsep }[] = [];
  closed = false;

  readonly sessionId = 1;

  constructor(readonly id: number, readonly plugin: PluginName, private readonly janus: FakeJanus) { super(); }

  readonly trickled: (TrickleCandidate | null)[] = [];

  async trickle(candidate: TrickleCandidate | null): Promise<void> {
    if (this.closed) throw new Error(`handle ${this.id} is detached`);
    this.trickled.push(candidate);
  }

  async request(body: Record<string, unknown>, jsep?: Jsep): Promise<PluginReply> {
    if (this.closed) throw new Error(`handle ${this.id} is detached`);
    this.requests.push({ body, jsep });
    if (this.plugin === 'janus.plugin.streaming') {
      if (body.request === 'create') await this.janus.createGate;
      return this.streaming(body, jsep);
    }
    switch (body.request) {
      case 'process':
        return body.type === 'offer'
          ? { data: { result: { event: 'processed' } }, jsep: { type: 'offer', sdp: mirror(String(body.sdp), 'recvonly') } }
          : { data: { result: { event: 'processed' } }, jsep: { type: 'answer', sdp: mirror(String(body.sdp), 'sendrecv') } };
      case 'generate':
        if (jsep?.type === 'answer' && this.janus.autoWebrtcUp) setImmediate(() => this.webrtcUp());
        return { data: { result: { event: 'generated', sdp: mirror(jsep!.sdp, jsep!.type === 'offer' ? 'sendrecv' : 'sendonly') } } };
      case 'hangup':
        return { data: { result: { event: 'hangingup' } } };
      default:
        throw new Error(`fake NoSIP has no ${String(body.request)}`);
    }
  }

  private streaming(body: Record<string, unknown>, jsep?: Jsep): PluginReply {
    if (body.request === 'create') {
      if (this.janus.refuseCreate) throw new Error('456 refused by the fake');
      this.janus.mountpoints.add(String(body.id));
      const ports = (body.media as { type: string }[]).map((m) => ({ type: m.type, port: (nextPort += 2), rtcp_port: m.type === 'video' ? nextPort + 1 : undefined }));
      return { data: { stream: { id: body.id, ports } } };
    }
    if (body.request === 'destroy') this.janus.mountpoints.delete(String(body.id));
    if (body.request === 'watch' && jsep?.type === 'offer') {
      if (!this.janus.mountpoints.has(String(body.id))) throw new Error(`455 No such mountpoint/stream ${String(body.id)}`);
      // Stock Janus 1.1.2 ignores the viewer's offer and offers itself.
      const type = this.janus.stockStreaming ? 'offer' : 'answer';
      return { data: { streaming: 'event', result: { status: 'preparing' } }, jsep: { type, sdp: mirror(jsep.sdp, 'sendonly') } };
    }
    return { data: { streaming: 'ok' } };
  }

  webrtcUp(): void { if (!this.closed) this.emit('webrtcup'); }
  hangup(reason = 'DTLS alert'): void { this.emit('hangup', reason); }
  slowlink(lost = 10): void { this.emit('slowlink', { uplink: true, media: 'video', lost }); }

  async close(): Promise<void> { this.closed = true; }
}

export class FakeJanus implements JanusApi {
  readonly handles: FakeHandle[] = [];
  readonly mountpoints = new Set<string>();
  /** A pull's leg comes up as soon as the remote's answer is given to NoSIP. */
  autoWebrtcUp = true;
  /** Streaming answers a viewer's offer with an offer of its own, as stock Janus 1.1.2 (no streaming-viewer-offer.patch). */
  stockStreaming = false;
  /** Streaming `create` fails, as when Janus refuses a mountpoint. */
  refuseCreate = false;
  /** While set, Streaming `create` waits for it: a create in flight the test can overtake. */
  createGate: Promise<void> | undefined;
  state: 'up' | 'down' = 'up';
  readonly streamingAdminKey = 'fake-admin-key';

  get current(): JanusApi {
    if (this.state !== 'up') throw new Error('Janus is down');
    return this;
  }

  async attach(plugin: PluginName): Promise<PluginHandle> {
    const h = new FakeHandle(this.handles.length + 1, plugin, this);
    this.handles.push(h);
    return h;
  }

  open(plugin: PluginName): FakeHandle[] { return this.handles.filter((h) => h.plugin === plugin && !h.closed); }

  /** Janus went away: every handle is detached. */
  die(): void {
    this.state = 'down';
    for (const h of this.handles) if (!h.closed) { h.closed = true; h.emit('detached'); }
  }
}
