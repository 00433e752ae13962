/**
 * What one WCS session is allowed, and what its hook backend hears of it: the session's appKey and credential,
 * the connect answer's restClientConfig, and the WCS-shaped bodies of every decision and event (relay/access decides).
 */
import type { AccessControl, Decision } from '../access/access-control.ts';
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

export class SessionAccess {
  appKey = 'defaultApp';
  /** `custom.token` of the connection, else `?token=` on the Websocket URL. */
  private token: string | undefined;
  /** How each later hook of this session is sent and read. */
  private policies: RestClientConfig = {};

  constructor(private readonly access: AccessControl, private readonly client: WcsPeer, private readonly sessionId: string) {
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
    return decision;
  }

  /** The SDK's sendData: whether the app's OnDataEvent hook accepts it. */
  data(operationId: unknown, payload: unknown): Promise<boolean> {
    return this.access.invoke(this.appKey, 'OnDataEvent', dataBody(this.hook, operationId, payload), this.policies);
  }

  streamStatus(request: StreamRequest, published: boolean, status: string, info?: string): void {
    this.access.notify(this.appKey, 'StreamStatusEvent', streamBody(this.hook, request, published, status, info), this.policies);
  }

  connectionStatus(status: 'ESTABLISHED' | 'DISCONNECTED', info?: string): void {
    this.access.notify(this.appKey, 'ConnectionStatusEvent', connectionStatusBody(this.hook, status, info), this.policies);
  }
}
