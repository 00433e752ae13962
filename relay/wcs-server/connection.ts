/**
 * One WCS Websocket API connection (an SDK page, or a raw client). It owns its publishers and players
 * and ends them when it goes. Anything a client sends wrong ends at most this connection: a malformed
 * frame closes it, a bad request fails that one stream, an unknown message gets a `fail` reply.
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket, RawData } from 'ws';
import type { RelayContext } from '../context.ts';
import type { Logger } from '../log.ts';
import { frame, parseFrame, ProtocolError, type Frame } from '../wcs/frame.ts';
import { readStreamRequest, statusObject, type StreamRequest } from '../wcs/messages.ts';
import { Info, type StreamStatus } from '../streams/status.ts';
import { Publisher } from '../webrtc/publisher.ts';
import { Player } from '../webrtc/player.ts';
import type { MediaClient, MediaSession } from '../webrtc/media-session.ts';
import { SessionAccess, type WcsPeer } from './session-access.ts';
import { infoFor } from './failure-info.ts';
import { RECORDED, UNSUPPORTED } from './sdk-messages.ts';
import { answerSnapshot } from './snapshot-request.ts';
import { KeepAlive } from './keep-alive.ts';
import { answerFor, useTransport } from './transport.ts';
import { answerAvailable, relayStreamEvent } from './stream-messages.ts';
import type { Stream } from '../streams/stream.ts';
import type { ClientFields, ConnectionRecord } from './connection-record.ts';

/** What a WCS session may ask of the rest of the relay. */
export interface WcsHooks {
  /** A publish asked to be republished over RTMP (its stream, the `rtmpUrl` it gave). */
  republish?(streamName: string, rtmpUrl: string): Promise<void>;
  /** A publish asked to be recorded (`record: true`): the file's name, which its statuses carry as `recordName`. */
  record?(streamName: string): Promise<string | undefined>;
  /** A base64 PNG of the stream's picture (rejects with the reason). */
  snapshot?(stream: Stream): Promise<string>;
}

export class WcsSession {
  readonly id = randomUUID();
  readonly connectedAt = Date.now();
  private established = false;
  private readonly keepAlive: KeepAlive;
  private readonly media = new Map<string, MediaSession>();
  private closed = false;
  private connecting = false;
  private readonly log: Logger;
  private readonly access: SessionAccess;
  private clientFields: ClientFields = {};

  constructor(private readonly ws: WebSocket, private readonly ctx: RelayContext, private readonly client: WcsPeer,
    private readonly onClose: (s: WcsSession) => void, private readonly hooks: WcsHooks = {}) {
    this.log = ctx.log.child({ session: this.id });
    this.access = new SessionAccess(ctx.access, client, this.id,
      { end: (id, info) => this.terminate(id, info), isLive: (id) => this.media.has(id) }, ctx.config.restHooksKeepAliveMs);
    this.log.info('wcs.connected', { remote: client.remote });
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', (code) => this.teardown(`socket closed (${code})`));
    ws.on('error', (err) => this.log.warn('wcs.socket_error', { err }));
    this.keepAlive = new KeepAlive(ctx.config.keepAliveIntervalMs, ctx.config.keepAliveProbes, () => this.send('ping', null),
      (missed) => { this.log.warn('wcs.keepalive_timeout', { missed }); this.close(4000, Info.keepAlive); });
  }

  get record(): ConnectionRecord {
    return { sessionId: this.id, appKey: this.access.appKey, remoteAddress: this.client.remote, origin: this.client.origin ?? null,
      status: this.established ? 'ESTABLISHED' : 'PENDING', ...this.clientFields, mediaSessions: this.media.size, createDate: this.connectedAt };
  }

  /** REST /data/send: the SDK's SESSION_STATUS.APP_DATA gets `body` as it is. */
  deliverData(body: Record<string, unknown>): boolean {
    if (!this.established || this.ws.readyState !== this.ws.OPEN) return false;
    this.send('OnDataEvent', body);
    return true;
  }

  private send(message: string, ...data: unknown[]): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(frame(message, ...data));
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    let f: Frame;
    try {
      if (isBinary) throw new ProtocolError('binary frames are not part of the WCS API');
      f = parseFrame(data.toString());
    } catch (err) {
      this.log.warn('wcs.malformed_frame', { err });
      this.send('fail', { apiMethod: 'unknown', info: `Malformed frame: ${(err as Error).message}` });
      this.close(1007, 'malformed frame');
      return;
    }
    try {
      this.dispatch(f);
    } catch (err) {
      this.log.error('wcs.handler_error', { message: f.message, err });
      this.send('fail', { apiMethod: f.message, info: `Failed by error: ${(err as Error).message}` });
    }
  }

  private dispatch(f: Frame): void {
    switch (f.message) {
      case 'connection': return void this.onConnection(f.data);
      case 'ping': return this.send('pong', null);
      case 'pong': return this.keepAlive.pong();
    }
    if (!this.established) {
      this.send('fail', { apiMethod: f.message, info: 'Session not ready' });
      return;
    }
    switch (f.message) {
      case 'publishStream': return void this.publish(f.data);
      case 'playStream': return void this.play(f.data);
      case 'unPublishStream': return this.stopMedia(f.data, 'publisher', 'UNPUBLISHED');
      case 'stopStream': return this.stopMedia(f.data, 'player', 'STOPPED');
      case 'availableStream': return answerAvailable(f.data, this.ctx.registry, (m, ...d) => this.send(m, ...d));
      case 'sendStreamEvent': return relayStreamEvent(f.data, this.media, (m, ...d) => this.send(m, ...d));
      case 'sendData': return void this.sendData(f.data);
      case 'snapshot': return void answerSnapshot(f.data, { stream: (name) => this.ctx.registry.get(name), decide: (r) => this.access.snapshot(r),
        take: this.hooks.snapshot, event: (mediaSessionId, type, payload) => this.send('notifyStreamEvent', { mediaSessionId, type, payload }),
        fail: (info) => this.send('fail', { apiMethod: 'snapshot', info }) });
      default: return this.other(f);
    }
  }

  /** What the SDK sends that this server does not act on: logged if it is a report, else a `fail` that says why. */
  private other(f: Frame): void {
    if (RECORDED.has(f.message)) return this.log.info('wcs.client_report', { message: f.message, bytes: JSON.stringify(f.data).length });
    const unsupported = UNSUPPORTED[f.message];
    if (!unsupported) this.log.warn('wcs.unknown_message', { message: f.message });
    this.send('fail', { apiMethod: f.message, info: unsupported ?? `Unknown message ${f.message}` });
  }

  /** `connect` is decided (tokens, the app's `connect` hook) before the client hears ESTABLISHED. */
  private async onConnection(data: unknown[]): Promise<void> {
    if (this.connecting || this.established) {
      this.send('fail', { apiMethod: 'connection', info: 'Session already connected' });
      return;
    }
    const given = (typeof data[0] === 'object' && data[0] !== null ? data[0] : {}) as Record<string, unknown>;
    const { mediaProviders, clientVersion, clientOSVersion, clientBrowserVersion, custom } = given;
    this.clientFields = { mediaProviders, clientVersion, clientOSVersion, clientBrowserVersion };
    this.connecting = true;
    const decision = await this.access.connect(given);
    this.connecting = false;
    if (this.closed) return;
    if (!decision.allow) {
      this.send('fail', { apiMethod: 'connection', info: `Forbidden: ${decision.reason}` });
      this.close(1008, 'Forbidden');
      return;
    }
    this.established = true;
    this.send('getUserData', {
      appKey: this.access.appKey, mediaProviders, clientVersion, clientOSVersion, clientBrowserVersion, custom,
      sessionId: this.id, authToken: this.id, status: 'ESTABLISHED',
      useWsTunnel: false, useWsTunnelPacketization2: false, useBase64BinaryEncoding: false,
    });
    this.log.info('wcs.established', { appKey: this.access.appKey, clientVersion });
    this.access.connectionStatus('ESTABLISHED');
  }

  /**
   * Publish and play are decided after the request is read and before anything is made for it: a refused one gets
   * FAILED with the reason and leaves no Janus handle, tee or name claim. A backend's restPolicy OVERWRITE may
   * rename the stream (`name`).
   */
  private async authorize(action: 'publish' | 'play', request: StreamRequest): Promise<boolean> {
    const decision = await this.access.stream(action, request);
    if (this.closed || !decision.allow) {
      if (this.closed) this.access.close(); // closed while it was decided: its hold on access goes too
      this.ctx.registry.releaseMediaSession(request.mediaSessionId);
      if (!decision.allow && !this.closed) this.status(request, 'FAILED', decision.full ? decision.reason : `Forbidden: ${decision.reason}`);
      return false;
    }
    const renamed = decision.overwrite.name;
    if (typeof renamed === 'string' && renamed !== request.name) {
      this.log.info('wcs.renamed_by_backend', { from: request.name, to: renamed });
      request.name = renamed;
    }
    return true;
  }

  private status(request: StreamRequest, status: StreamStatus, info?: string): void {
    this.send('notifyStreamStatusEvent', statusObject(request, status, info));
    const published = (this.media.get(request.mediaSessionId)?.role ?? (request.published === true ? 'publisher' : 'player')) === 'publisher';
    this.access.streamStatus(request, published, status, info);
  }

  private clientFor(request: StreamRequest): MediaClient {
    return {
      notify: (status, info) => this.status(request, status, info),
      streamEvent: (type, payload) => this.send('notifyStreamEvent', { mediaSessionId: request.mediaSessionId, type, payload }),
    };
  }

  /** Validates a publish/play request; on failure reports FAILED (or `fail` without an id) and returns undefined. */
  private admit(data: unknown[], apiMethod: string): StreamRequest | undefined {
    const request = readStreamRequest(data, true);
    if (typeof request === 'string') {
      const id = (data[0] as { mediaSessionId?: unknown } | undefined)?.mediaSessionId;
      this.log.warn('wcs.bad_request', { apiMethod, reason: request });
      if (typeof id === 'string' && id) this.send('notifyStreamStatusEvent', { mediaSessionId: id, status: 'FAILED', info: request });
      else this.send('fail', { apiMethod, info: request });
      return undefined;
    }
    const refused = useTransport(request, this.ctx.config.iceTcp) ?? (this.ctx.registry.claimMediaSession(request.mediaSessionId) ? undefined : Info.mediaSessionInUse);
    if (refused) return void this.status(request, 'FAILED', refused);
    return request;
  }

  private async publish(data: unknown[]): Promise<void> {
    const request = this.admit(data, 'publishStream');
    if (!request || !(await this.authorize('publish', request))) return;
    const pub = new Publisher(request.mediaSessionId, request.name, this.ctx, this.clientFor(request), 'publisher');
    if (!pub.claimName()) {
      this.ctx.registry.releaseMediaSession(request.mediaSessionId);
      this.status(request, 'FAILED', Info.nameInUse);
      return;
    }
    await this.negotiate(pub, request, () => pub.start(request.sdp!));
    // The SDK's webrtc-as-rtmp-republishing page: a publish that carries `rtmpUrl` is pushed there, for as long as it lasts.
    if (!pub.isEnded && typeof request.rtmpUrl === 'string' && request.rtmpUrl) await this.hooks.republish?.(request.name, request.rtmpUrl);
    // The SDK's stream_recording page reads the file name from the stream's statuses (`recordName`).
    if (!pub.isEnded && request.record === true) {
      const file = await this.hooks.record?.(request.name);
      if (file) request.recordName = file;
    }
  }

  private async play(data: unknown[]): Promise<void> {
    const request = this.admit(data, 'playStream');
    if (!request || !(await this.authorize('play', request))) return;
    const player = new Player(request.mediaSessionId, request.name, this.ctx, this.clientFor(request), 'wcs');
    const stream = this.ctx.registry.get(request.name) ?? await this.ctx.demand?.(request.name); // a CDN relay asks the edge (relay.ts)
    if (!stream || this.closed) { // this.closed: the client left while a copy was started for it
      this.ctx.registry.releaseMediaSession(request.mediaSessionId);
      if (!this.closed) this.status(request, 'FAILED', Info.notFound);
      return;
    }
    await this.negotiate(player, request, () => player.start(stream, request.sdp!));
  }

  private async negotiate(ms: MediaSession, request: StreamRequest, start: () => Promise<string>): Promise<void> {
    this.media.set(ms.id, ms);
    this.ctx.registry.bindMediaSession(ms);
    try {
      const answer = answerFor(request, await start(), this.ctx.config.iceTcp);
      if (!ms.isEnded) this.send('setRemoteSDP', request.mediaSessionId, answer, true);
    } catch (err) {
      ms.log.warn('media_session.start_failed', { err });
      ms.end({ status: 'FAILED', info: infoFor(err) });
    } finally {
      await ms.settle();
      if (ms.isEnded) this.media.delete(ms.id);
    }
  }

  private stopMedia(data: unknown[], role: 'publisher' | 'player', status: StreamStatus): void {
    const id = (data[0] as { mediaSessionId?: unknown } | undefined)?.mediaSessionId;
    const ms = typeof id === 'string' ? this.media.get(id) : undefined;
    if (!ms || ms.role !== role) {
      this.send('fail', { apiMethod: role === 'publisher' ? 'unPublishStream' : 'stopStream', info: Info.notFound });
      return;
    }
    this.media.delete(ms.id);
    ms.end({ status, info: '' });
  }

  /** The SDK's `sendData`: the app's OnDataEvent hook, when it has one, decides ACCEPTED or FAILED. */
  private async sendData(data: unknown[]): Promise<void> {
    const obj = (data[0] ?? {}) as { operationId?: unknown; payload?: unknown };
    const accepted = await this.access.data(obj.operationId, obj.payload);
    this.send('DataStatusEvent', { operationId: obj.operationId, status: accepted ? 'ACCEPTED' : 'FAILED', ...(accepted ? {} : { info: 'Refused by the backend' }) });
  }

  /** REST /stream/terminate and shutdown come through here. */
  terminate(mediaSessionId: string, info: string): boolean {
    const ms = this.media.get(mediaSessionId);
    if (!ms) return false;
    this.media.delete(mediaSessionId);
    ms.end({ status: ms.role === 'publisher' ? 'UNPUBLISHED' : 'STOPPED', info });
    return true;
  }

  close(code = 1000, reason = ''): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
    this.teardown(reason || 'closed by relay');
  }

  private teardown(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.keepAlive.stop();
    this.access.close();
    for (const ms of this.media.values()) {
      ms.end({ status: ms.role === 'publisher' ? 'UNPUBLISHED' : 'STOPPED', info: Info.sessionDisconnect });
    }
    this.media.clear();
    this.log.info('wcs.disconnected', { reason });
    if (this.established) this.access.connectionStatus('DISCONNECTED', reason);
    this.onClose(this);
  }
}
