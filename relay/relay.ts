/**
 * The relay process as one object: Janus supervisor, stream registry, WCS Websocket API, viewer proxy
 * and HTTP(S) listeners. `close()` cascades through all of them, Janus last.
 */
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Config } from './config.ts';
import type { RelayContext } from './context.ts';
import { rootLog } from './log.ts';
import { JanusSupervisor } from './janus/supervisor.ts';
import { ViewerProxy, type AdmitViewer } from './janus/viewer-proxy.ts';
import { StreamRegistry } from './streams/registry.ts';
import { MountpointSink } from './outputs/mountpoint/mountpoint-sink.ts';
import { WcsServer } from './wcs-server/server.ts';
import { buildApp } from './rest/app.ts';
import { Info } from './streams/status.ts';
import { startTestStream, type TestStream } from './sources/test-stream.ts';
import { Pulls } from './sources/pull/pulls.ts';
import { UdpPortPool } from './media/udp-port-pool.ts';
import { HlsOutputs } from './outputs/hls/hls-outputs.ts';
import { WishSessions } from './wish/wish-sessions.ts';
import { RtmpPushes } from './outputs/rtmp/rtmp-pushes.ts';
import { WcsPushes } from './outputs/wcs-push/wcs-pushes.ts';
import { Recordings } from './outputs/record/recordings.ts';
import { RecordUrls } from './outputs/record/record-urls.ts';
import type { Stream } from './streams/stream.ts';
import { buildHlsApp } from './outputs/hls/hls-routes.ts';
import { hlsSettings } from './outputs/hls/hls-settings.ts';
import { accessControlFrom } from './access/access-settings.ts';
import { ViewerCapacity } from './access/viewer-capacity.ts';
import { announceAccess } from './access/open-relay-warning.ts';
import { HlsSessionTokens } from './outputs/hls/hls-session-token.ts';
import { nodeIdOf, streamBody } from './wcs/hook-bodies.ts';
import { webhooksFrom } from './webhooks/webhook-settings.ts';
import { announceStreams } from './streams/stream-webhooks.ts';
import { EdgeMembership } from './edge-link/edge-membership.ts';
import { HostLoad } from './edge-link/host-load.ts';
import { Snapshots } from './outputs/snapshot/snapshots.ts';
import { joinRequestOf } from './edge-link/join-request.ts';

const HLS_IDLE_SOCKET_MS = 30_000;
/** A viewer waits this long for a copy the edge started here to play. */
const DEMAND_PLAYING_MS = 8_000;

export class Relay {
  readonly ctx: RelayContext;
  readonly wcs: WcsServer;
  readonly viewerProxy: ViewerProxy;
  readonly pulls: Pulls;
  readonly hls: HlsOutputs;
  readonly wish: WishSessions;
  readonly rtmpPushes: RtmpPushes;
  /** `/pull/push`es: local streams published to remote WCS servers. */
  readonly wcsPushes: WcsPushes;
  readonly recordings: Recordings;
  readonly recordUrls: RecordUrls;
  readonly snapshots: Snapshots;
  /** How many WebRTC viewers it takes (SIPHON_MAX_VIEWERS). */
  readonly capacity: ViewerCapacity;
  /** Its membership at an edge, when SIPHON_EDGE_URL is set. */
  readonly edgeLink: EdgeMembership | undefined;
  /** Event-loop delay since the last /metrics scrape. */
  readonly eventLoopLag = monitorEventLoopDelay({ resolution: 10 });
  private readonly servers: Server[] = [];
  /** The built-in demo stream, when `SIPHON_DEMO_STREAM` is set. */
  demo: TestStream | undefined;

  private constructor(config: Config) {
    const log = rootLog;
    const registry = new StreamRegistry();
    const janus = new JanusSupervisor(config, log.child({ component: 'janus' }));
    const teePorts = new UdpPortPool(config.teePorts, config.udpReceiveBufferBytes, log.child({ component: 'udp' }));
    const nodeId = nodeIdOf(config.publicIp || config.bindAddress);
    const webhooks = webhooksFrom(config, log.child({ component: 'webhooks' }), nodeId);
    this.capacity = new ViewerCapacity(config.maxViewers, () => this.webrtcViewers());
    const access = accessControlFrom(config, log.child({ component: 'access' }), webhooks, this.capacity);
    this.ctx = { config, log, janus, registry, teePorts, ownSinks: MountpointSink.forEveryStream({ janus, teePorts }), access, webhooks, nodeId };
    announceStreams(registry, webhooks);
    this.snapshots = new Snapshots({ teePorts, reuseMs: config.snapshotIntervalMs, timeoutMs: config.snapshotTimeoutMs, log: log.child({ component: 'snapshot' }) });
    this.wcs = new WcsServer(this.ctx, {
      snapshot: (stream) => this.snapshots.take(stream),
      republish: (name, url) => this.rtmpPushes.republish(name, url),
      record: (name) => this.recordPublish(name),
    });
    this.pulls = new Pulls(this.ctx);
    this.hls = new HlsOutputs(this.ctx, hlsSettings(config));
    this.wish = new WishSessions(this.ctx);
    this.rtmpPushes = new RtmpPushes(this.ctx, hlsSettings(config).encoder);
    this.wcsPushes = new WcsPushes(this.ctx);
    this.recordings = new Recordings(this.ctx, {
      dir: resolve(config.recordDir), template: config.recordTemplate, audioKbps: config.hlsAudioKbps,
      maxDirBytes: config.recordMaxDirMb * 1024 * 1024, minFreeBytes: config.recordMinFreeMb * 1024 * 1024,
    });
    this.recordUrls = new RecordUrls(config.recordUrlSecret, config.recordUrlTtlS * 1000, () => this.ctx.access.configured);
    this.viewerProxy = new ViewerProxy(() => janus.apiUrl, log.child({ component: 'viewer-proxy' }), webhooks,
      (mountpoint) => this.onViewerUp(mountpoint), (...args) => this.admitViewer(...args),
      (token) => this.ctx.access.grant(token));
    const hostLoad = new HostLoad();
    this.edgeLink = config.edgeUrl ? new EdgeMembership({
      edgeUrl: config.edgeUrl, joinToken: config.edgeJoinToken, join: joinRequestOf(config), log: log.child({ component: 'edge-link' }),
      load: () => ({ viewers: this.webrtcViewers() + this.hls.all().reduce((n, s) => n + this.hls.viewers(s.id), 0), pulls: this.pulls.all().length,
        ...hostLoad.sample(), streams: this.pulledStreams() }),
      drop: (names) => { for (const name of names) void this.pulls.terminate({ localStreamName: name }, 'no viewer: the edge dropped this on-demand copy'); },
    }) : undefined;
    this.pulls.stateListener = (_name, state) => { if (state === 'FAILED') this.edgeLink?.beatSoon(); };
    if (this.edgeLink) this.ctx.demand = (name) => this.demandFromEdge(name);
    janus.on('down', (reason) => this.onJanusDown(reason));
    janus.on('up', () => this.onJanusUp());
    this.eventLoopLag.enable();
  }

  static async start(config: Config): Promise<Relay> {
    const relay = new Relay(config);
    relay.ctx.log.info('relay.starting', { wsPort: config.wsPort, wssPort: config.tlsCert ? config.wssPort : null });
    try {
      await relay.ctx.janus.start();
    } catch (err) {
      await relay.ctx.janus.stop();
      throw err;
    }
    await relay.listen();
    if (config.demoStream) relay.demo = await startTestStream(relay.ctx, config.demoStream);
    relay.edgeLink?.start();
    relay.ctx.log.info('relay.ready', { ports: relay.ports(), node: process.version });
    announceAccess(config, relay.ctx.access.configured, relay.ctx.log);
    return relay;
  }

  ports(): number[] {
    return this.servers.map((s) => (s.address() as AddressInfo | null)?.port ?? 0);
  }

  private async listen(): Promise<void> {
    const { config } = this.ctx;
    const listener = getRequestListener(buildApp(this).fetch);
    const servers: [Server, number][] = [[createServer(listener), config.wsPort]];
    const tls = config.tlsCert ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } : undefined;
    if (tls) servers.push([createHttpsServer(tls, listener), config.wssPort]);
    for (const [server] of servers) {
      server.on('upgrade', (req, socket, head) => {
        socket.on('error', () => socket.destroy());
        if ((req.url ?? '').startsWith('/janus')) this.viewerProxy.upgrade(req, socket, head);
        else this.wcs.upgrade(req, socket, head);
      });
    }
    const guard = { access: this.ctx.access, tokens: new HlsSessionTokens(config.hlsSessionSecret), nodeId: this.ctx.nodeId };
    const hlsListener = getRequestListener(buildHlsApp(this.hls, this.ctx.log.child({ component: 'hls' }), guard).fetch);
    const hlsServers: [Server, number][] = [[createServer(hlsListener), config.hlsPort]];
    if (tls) hlsServers.push([createHttpsServer(tls, hlsListener), config.hlsTlsPort]);
    // Media is shared, never copied per client, but a client that stops reading must not hold its socket forever.
    for (const [server] of hlsServers) server.setTimeout(HLS_IDLE_SOCKET_MS, (socket) => socket.destroy());
    servers.push(...hlsServers);
    // WCS answers REST on http.port/https.port (8081/8444): the same app, without the Websocket.
    if (config.restPort) servers.push([createServer(listener), config.restPort]);
    if (tls && config.restTlsPort) servers.push([createHttpsServer(tls, listener), config.restTlsPort]);
    for (const [server, port] of servers) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, config.bindAddress, () => { server.off('error', reject); resolve(); });
      });
      this.servers.push(server);
    }
  }

  /** The viewer page's watch, decided like any play (its hook sees `mediaProvider: "WebRTC"`, a viewer-page session). */
  private async admitViewer(...[stream, token, client, end]: Parameters<AdmitViewer>): Promise<Awaited<ReturnType<AdmitViewer>>> {
    const id = randomUUID();
    const session = { nodeId: this.ctx.nodeId, appKey: 'defaultApp', sessionId: `viewer-${id}` };
    const decision = await this.ctx.access.decide({
      action: 'play', protocol: 'viewer', stream, token, client,
      hook: { appKey: 'defaultApp', body: streamBody(session, { mediaSessionId: id, name: stream, custom: token ? { token } : {} }, false, 'PENDING') },
    });
    if (!decision.allow) return decision;
    return { allow: true, lease: this.ctx.access.lease(stream, { protocol: 'viewer', sessionId: session.sessionId }, decision.grant, end) };
  }

  /** A viewer asked for a stream this relay lacks: the edge starts a copy here; wait until it plays (≤ 8 s). */
  private async demandFromEdge(name: string): Promise<Stream | undefined> {
    const log = this.ctx.log.child({ component: 'edge-link', stream: name });
    try {
      const answer = await this.edgeLink!.demand(name);
      log.info('edge_link.demanded', { parent: answer.parent });
    } catch (err) {
      log.info('edge_link.demand_refused', { reason: (err as Error).message });
      return undefined;
    }
    const playing = (s: Stream | undefined) => s !== undefined && !s.isClosed && s.status === 'PUBLISHING';
    const { registry } = this.ctx;
    return new Promise((resolve) => {
      let watched: Stream | undefined;
      const done = (stream: Stream | undefined) => {
        clearTimeout(timer);
        registry.off('added', check);
        watched?.off('status', check);
        resolve(stream);
      };
      // The pull's stream appears in the registry, then turns PUBLISHING once media flows.
      function check(): void {
        const stream = registry.get(name);
        if (playing(stream)) return done(stream);
        if (stream && stream !== watched) { watched?.off('status', check); watched = stream; stream.on('status', check); }
      }
      const timer = setTimeout(() => { log.warn('edge_link.demand_not_playing', { waitedMs: DEMAND_PLAYING_MS }); done(undefined); }, DEMAND_PLAYING_MS);
      registry.on('added', check);
      check();
    });
  }

  /** Each pulled stream's viewers (every kind) and whether it plays: the edge drops idle copies and re-parents stalled ones. */
  private pulledStreams(): Record<string, { viewers: number; playing: boolean }> {
    const players = this.ctx.registry.allMediaSessions().filter((m) => m.role === 'player' && !m.isEnded);
    return Object.fromEntries(this.pulls.all().map((p) => {
      const name = p.spec.localStreamName;
      const viewers = players.filter((m) => m.name === name).length + this.viewerProxy.watchersOf(name) + this.hls.viewers(name);
      return [name, { viewers, playing: p.state === 'PLAYING' }];
    }));
  }

  /** Viewers that cost Janus a leg: WCS and WHEP players, and the viewer page's watches. */
  private webrtcViewers(): number {
    const players = this.ctx.registry.allMediaSessions().filter((m) => m.role === 'player' && !m.isEnded).length;
    return players + this.viewerProxy.watching;
  }

  /** A viewer's leg is up: now a keyframe reaches it (the one asked for at its watch may have come too early). */
  private onViewerUp(mountpoint: string): void {
    this.ctx.log.info('viewer.webrtc_up', { stream: mountpoint });
    this.ctx.registry.get(mountpoint)?.requestKeyframe('viewer leg up');
  }

  /**
   * Every WebRTC leg died with Janus: each stream's sinks forget their handles (players fail), and
   * published streams end with their publisher; pulled and test streams live on and get their sinks back.
   */
  private onJanusDown(reason: string): void {
    this.ctx.log.error('relay.janus_down', { reason });
    for (const stream of this.ctx.registry.all()) stream.janusLost();
    for (const ms of this.ctx.registry.allMediaSessions()) ms.end({ status: 'FAILED', info: Info.mediaServerDown });
  }

  /** A publish with `record: true` (the SDK's stream_recording page): its file name, or undefined when refused (logged). */
  private async recordPublish(name: string): Promise<string | undefined> {
    const stream = this.ctx.registry.get(name);
    if (!stream) return undefined;
    try {
      const file = (await this.recordings.start(stream)).fileName;
      // The page links `/client/records/<recordName>`: on a guarded relay the name carries the link's signature.
      return file && file + this.recordUrls.query(file);
    } catch (err) {
      this.ctx.log.warn('record.refused', { stream: name, reason: (err as Error).message });
      return undefined;
    }
  }

  private onJanusUp(): void {
    for (const stream of this.ctx.registry.all()) void stream.startSinks();
  }

  async close(): Promise<void> {
    this.ctx.log.info('relay.stopping');
    // First, while everything still runs: the edge moves this relay's pulls to others before they stop here.
    await this.edgeLink?.leave();
    this.wcs.close();
    this.wish.closeAll();
    this.viewerProxy.close();
    await this.hls.closeAll();
    await this.rtmpPushes.closeAll();
    await this.wcsPushes.closeAll();
    await this.recordings.closeAll();
    await this.pulls.closeAll();
    await Promise.all(this.ctx.registry.all().map((s) => s.close({ status: 'STOPPED', info: 'relay shutting down' })));
    for (const server of this.servers) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    await this.ctx.janus.stop();
    // Last: what closing everything above reported (streams unpublished, plays stopped) goes out first.
    await this.ctx.webhooks.close();
    this.eventLoopLag.disable();
    this.ctx.log.info('relay.stopped');
  }
}
