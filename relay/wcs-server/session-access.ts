/**
 * What one WCS session is allowed, and what its hook backend hears of it: the session's appKey and credential,
 * the connect answer's restClientConfig, and the WCS-shaped bodies of every decision and event (relay/access decides).
 */
import type { AccessControl, Decision } from '../access/access-control.ts';
import { covers } from '../access/permission.ts';
import type { Grant } from '../access/token-verifier.ts';
import type { RestClientConfig } from '../access/rest-hooks.ts';
import { connectBody, connectionStatusBody, dataBody, streamBody, type HookSession } from '../wcs/hook-bodies.ts';
import type { StreamRequest } from '../wcs/messages.ts';

/** Who is on the other end: its address, the token on the Websocket URL (`?token=`), the URL it dialled. */
export interface WcsPeer {
  remote: string;
  urlToken?: string;
  urlServer: string;
  /** `nodeId` of the hooks' bodies. */
  nodeId: string;
}

/** A credential a client put in a `custom` object (the SDK's `createSession({custom})` / `createStream({custom})`). */
function tokenIn(custom: unknown): string | undefined {
  const token = (custom as { token?: unknown } | null | undefined)?.token;
  return typeof token === 'string' && token ? token : undefined;
}

/** Admitted streams whose grant ends: what they were admitted to, and the timer that ends them. */
interface Expiring { action: 'publish' | 'play'; stream: string; timer: NodeJS.Timeout }

export class SessionAccess {
  appKey = 'defaultApp';
  private readonly expiring = new Map<string, Expiring>();
  /** `custom.token` of the connection, else `?token=` on the Websocket URL. */
  private token: string | undefined;
  /** How each later hook of this session is sent and read. */
  private policies: RestClientConfig = {};

  /** `onExpired`: ends a media session whose access ran out. */
  constructor(private readonly access: AccessControl, private readonly client: WcsPeer, private readonly sessionId: string,
    private readonly onExpired: (mediaSessionId: string) => void) {
    this.token = client.urlToken;
  }

  private get hook(): HookSession {
    return { nodeId: this.client.nodeId, appKey: this.appKey, sessionId: this.sessionId };
  }

  async connect(given: Record<string, unknown>): Promise<Decision> {
    this.appKey = typeof given.appKey === 'string' && given.appKey ? given.appKey : 'defaultApp';
    this.token = tokenIn(given.custom) ?? this.token;
    const decision = await this.access.decide({
      action: 'connect', protocol: 'wcs', token: this.token, client: this.client.remote,
      hook: { appKey: this.appKey, body: connectBody(this.hook, given, this.client.urlServer) },
    });
    if (decision.allow) this.policies = decision.restClientConfig ?? {};
    return decision;
  }

  /** A stream's own `custom.token` wins over the session's; a name the backend gives (restPolicy OVERWRITE) must be one. */
  async stream(action: 'publish' | 'play', request: StreamRequest): Promise<Decision> {
    const decision = await this.access.decide({
      action, protocol: 'wcs', stream: request.name, token: tokenIn(request.custom) ?? this.token, client: this.client.remote,
      hook: { appKey: this.appKey, body: streamBody(this.hook, request, action === 'publish', 'PENDING'), policies: this.policies },
    });
    const renamed = decision.allow ? decision.overwrite.name : undefined;
    if (renamed !== undefined && (typeof renamed !== 'string' || !renamed.trim() || renamed.length > 256)) {
      return { allow: false, status: 403, reason: 'the backend gave an invalid stream name' };
    }
    if (decision.allow) this.expireAt(request.mediaSessionId, action, typeof renamed === 'string' ? renamed : request.name, decision.grant);
    return decision;
  }

  /** A stream admitted by a grant that ends is ended then, unless a fresh token (`refresh`) moved its end. */
  private expireAt(mediaSessionId: string, action: 'publish' | 'play', stream: string, grant: Grant | undefined): void {
    clearTimeout(this.expiring.get(mediaSessionId)?.timer);
    this.expiring.delete(mediaSessionId);
    if (grant?.expiresAt === undefined) return;
    const timer = setTimeout(() => { this.expiring.delete(mediaSessionId); this.onExpired(mediaSessionId); },
      Math.min(Math.max(0, grant.expiresAt - Date.now()), 2 ** 31 - 1));
    this.expiring.set(mediaSessionId, { action, stream, timer });
  }

  /**
   * `sendData({ siphon: { token } })`: a fresh token for this session; every stream it covers runs until the new
   * expiry, and it is the session's credential from now on. False when it does not verify.
   */
  private async refresh(token: string): Promise<boolean> {
    const grant = await this.access.grant(token);
    if (!grant) return false;
    this.token = token;
    for (const [id, e] of [...this.expiring]) if (covers(grant.permissions, e.action, e.stream)) this.expireAt(id, e.action, e.stream, grant);
    return true;
  }

  close(): void {
    for (const e of this.expiring.values()) clearTimeout(e.timer);
    this.expiring.clear();
  }

  /** The SDK's sendData: a token refresh (kept from the app), or whether the app's OnDataEvent hook accepts it. */
  data(operationId: unknown, payload: unknown): Promise<boolean> {
    const fresh = (payload as { siphon?: { token?: unknown } } | null)?.siphon?.token;
    if (typeof fresh === 'string') return this.refresh(fresh);
    return this.access.invoke(this.appKey, 'OnDataEvent', dataBody(this.hook, operationId, payload), this.policies);
  }

  streamStatus(request: StreamRequest, published: boolean, status: string, info?: string): void {
    this.access.notify(this.appKey, 'StreamStatusEvent', streamBody(this.hook, request, published, status, info), this.policies);
  }

  connectionStatus(status: 'ESTABLISHED' | 'DISCONNECTED', info?: string): void {
    this.access.notify(this.appKey, 'ConnectionStatusEvent', connectionStatusBody(this.hook, status, info), this.policies);
  }
}
