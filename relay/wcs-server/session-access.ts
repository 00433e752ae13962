/**
 * What one WCS session is allowed, and what its hook backend hears of it: the session's appKey and credential,
 * the connect answer's restClientConfig, and the WCS-shaped bodies of every decision and event (relay/access decides).
 */
import type { AccessControl, Decision } from '../access/access-control.ts';
import { covers } from '../access/permission.ts';
import type { AccessLease } from '../access/access-lease.ts';
import type { RestClientConfig } from '../access/rest-hooks.ts';
import { connectBody, connectionStatusBody, dataBody, streamBody, type HookSession } from '../wcs/hook-bodies.ts';
import type { StreamRequest } from '../wcs/messages.ts';
import { Info, TERMINAL, type StreamStatus } from '../streams/status.ts';

/** Who is on the other end: its address, the token on the Websocket URL (`?token=`), the URL it dialled. */
export interface WcsPeer {
  /** `address:port`, for the log. */
  remote: string;
  /** The address alone: who asks, to the access control. */
  address: string;
  urlToken?: string;
  urlServer: string;
  /** The page's Origin header (allow_domains was checked on it), if a browser sent one. */
  origin?: string;
  /** `nodeId` of the hooks' bodies. */
  nodeId: string;
}

/** A credential a client put in a `custom` object (the SDK's `createSession({custom})` / `createStream({custom})`). */
function tokenIn(custom: unknown): string | undefined {
  const token = (custom as { token?: unknown } | null | undefined)?.token;
  return typeof token === 'string' && token ? token : undefined;
}

/** A stream this session was admitted to: what for, its request (the keep-alive's body), and its hold on access. */
interface Admitted { action: 'publish' | 'play'; request: StreamRequest; lease: AccessLease }

/** What the session's owner does for it: end a media session whose access ended, and say which still run. */
export interface SessionAccessOwner {
  end(mediaSessionId: string, info: string): void;
  isLive(mediaSessionId: string): boolean;
}

export class SessionAccess {
  appKey = 'defaultApp';
  private readonly admitted = new Map<string, Admitted>();
  private keepAlive: NodeJS.Timeout | undefined;
  /** `custom.token` of the connection, else `?token=` on the Websocket URL. */
  private token: string | undefined;
  /** How each later hook of this session is sent and read. */
  private policies: RestClientConfig = {};

  /** `keepAliveMs`: how often the app's StreamKeepAliveEvent hook hears of each stream, if the app has it. */
  constructor(private readonly access: AccessControl, private readonly client: WcsPeer, private readonly sessionId: string,
    private readonly owner: SessionAccessOwner, private readonly keepAliveMs: number) {
    this.token = client.urlToken;
  }

  private get hook(): HookSession {
    return { nodeId: this.client.nodeId, appKey: this.appKey, sessionId: this.sessionId };
  }

  async connect(given: Record<string, unknown>): Promise<Decision> {
    this.appKey = typeof given.appKey === 'string' && given.appKey ? given.appKey : 'defaultApp';
    this.token = tokenIn(given.custom) ?? this.token;
    const decision = await this.access.decide({
      action: 'connect', protocol: 'wcs', token: this.token, client: this.client.address,
      hook: { appKey: this.appKey, body: connectBody(this.hook, given, this.client.urlServer) },
    });
    if (decision.allow) this.policies = decision.restClientConfig ?? {};
    if (decision.allow && this.keepAliveMs > 0 && this.access.sends(this.appKey, 'StreamKeepAliveEvent', this.policies)) {
      this.keepAlive = setInterval(() => void this.keepAliveRound(), this.keepAliveMs);
    }
    return decision;
  }

  /**
   * WCS's stream keep-alive: each live stream of the session is reported (`published` tells publish from play); a
   * refusal ends that stream, as WCS does with restOnError FAIL. An unreachable backend ends nothing.
   */
  private async keepAliveRound(): Promise<void> {
    for (const [id, a] of [...this.admitted]) {
      if (!this.owner.isLive(id)) { this.forget(id); continue; }
      const body = streamBody(this.hook, a.request, a.action === 'publish', a.action === 'publish' ? 'PUBLISHING' : 'PLAYING');
      const refusal = await this.access.keepAlive(this.appKey, body, this.policies);
      if (refusal && this.owner.isLive(id)) { this.forget(id); this.owner.end(id, `Forbidden: ${refusal}`); }
    }
  }

  private forget(mediaSessionId: string): void {
    this.admitted.get(mediaSessionId)?.lease.release();
    this.admitted.delete(mediaSessionId);
  }

  /** A stream's own `custom.token` wins over the session's; a name the backend gives (restPolicy OVERWRITE) must be one. */
  async stream(action: 'publish' | 'play', request: StreamRequest): Promise<Decision> {
    const decision = await this.access.decide({
      action, protocol: 'wcs', stream: request.name, token: tokenIn(request.custom) ?? this.token, client: this.client.address,
      hook: { appKey: this.appKey, body: streamBody(this.hook, request, action === 'publish', 'PENDING'), policies: this.policies },
    });
    const renamed = decision.allow ? decision.overwrite.name : undefined;
    if (renamed !== undefined && (typeof renamed !== 'string' || !renamed.trim() || renamed.length > 256)) {
      return { allow: false, status: 403, reason: 'the backend gave an invalid stream name' };
    }
    // The name lists hold for the name the stream will have, the backend's included.
    const refusedName = typeof renamed === 'string' ? this.access.nameRefusal(action, renamed) : undefined;
    if (refusedName) return { allow: false, status: 403, reason: refusedName };
    if (decision.allow) {
      const id = request.mediaSessionId;
      const name = typeof renamed === 'string' ? renamed : request.name;
      this.forget(id);
      // Ends the stream when its grant expires (unless a fresh token moved that) or a revoke covers it.
      const lease = this.access.lease(name, { protocol: 'wcs', sessionId: id }, decision.grant, (why) => {
        this.admitted.delete(id);
        if (this.owner.isLive(id)) this.owner.end(id, why === 'revoked' ? Info.accessRevoked : Info.accessExpired);
      });
      this.admitted.set(id, { action, request: { ...request, name }, lease });
    }
    return decision;
  }

  /** A snapshot shows the picture: decided like a play of the stream, with nothing held afterwards. */
  snapshot(request: StreamRequest): Promise<Decision> {
    return this.access.decide({
      action: 'play', protocol: 'wcs', stream: request.name, token: tokenIn(request.custom) ?? this.token, client: this.client.address,
      hook: { appKey: this.appKey, body: streamBody(this.hook, request, false, 'PENDING'), policies: this.policies }, seatless: true,
    });
  }

  /**
   * `sendData({ siphon: { token } })`: a fresh token for this session; every stream it covers runs until the new
   * expiry, and it is the session's credential from now on. False when it does not verify.
   */
  private async refresh(token: string): Promise<boolean> {
    const grant = await this.access.grant(token);
    if (!grant) return false;
    this.token = token;
    for (const a of this.admitted.values()) if (covers(grant.permissions, a.action, a.request.name)) a.lease.renew(grant);
    return true;
  }

  close(): void {
    clearInterval(this.keepAlive);
    for (const id of [...this.admitted.keys()]) this.forget(id);
  }

  /** The SDK's sendData: a token refresh (kept from the app), or whether the app's OnDataEvent hook accepts it. */
  data(operationId: unknown, payload: unknown): Promise<boolean> {
    const fresh = (payload as { siphon?: { token?: unknown } } | null)?.siphon?.token;
    if (typeof fresh === 'string') return this.refresh(fresh);
    return this.access.invoke(this.appKey, 'OnDataEvent', dataBody(this.hook, operationId, payload), this.policies);
  }

  streamStatus(request: StreamRequest, published: boolean, status: string, info?: string): void {
    if (TERMINAL.has(status as StreamStatus)) this.forget(request.mediaSessionId);
    this.access.notify(this.appKey, 'StreamStatusEvent', streamBody(this.hook, request, published, status, info), this.policies);
  }

  connectionStatus(status: 'ESTABLISHED' | 'DISCONNECTED', info?: string): void {
    this.access.notify(this.appKey, 'ConnectionStatusEvent', connectionStatusBody(this.hook, status, info), this.policies);
  }
}
