// janode ships no types; this declares only the surface Siphon uses.
declare module 'janode' {
  import { EventEmitter } from 'node:events';

  export interface JanusMessage {
    janus: string;
    transaction?: string;
    plugindata?: { plugin: string; data: Record<string, unknown> };
    jsep?: { type: 'offer' | 'answer'; sdp: string };
    [key: string]: unknown;
  }

  export class JanodeHandle extends EventEmitter {
    constructor(session: JanodeSession, id: number);
    id: number;
    session: JanodeSession;
    message(body: object, jsep?: object): Promise<unknown>;
    trickle(candidate: { candidate: string; sdpMid?: string; sdpMLineIndex?: number }): Promise<unknown>;
    trickleComplete(): Promise<unknown>;
    hangup(): Promise<void>;
    detach(): Promise<void>;
    ownsTransaction(id: string): boolean;
    closeTransactionWithSuccess(id: string, data: unknown): void;
    closeTransactionWithError(id: string, error: Error): void;
    handleMessage(message: JanusMessage): unknown;
  }

  export class JanodeSession extends EventEmitter {
    id: number;
    attach<H extends JanodeHandle>(opts: { id: string; Handle?: new (s: JanodeSession, id: number) => H }): Promise<H>;
    destroy(): Promise<void>;
  }

  export class JanodeConnection extends EventEmitter {
    create(kaIntervalSecs?: number): Promise<JanodeSession>;
    close(): Promise<void>;
    getInfo(): Promise<Record<string, unknown>>;
    listSessions(): Promise<{ sessions: number[] }>;
    listHandles(sessionId: number): Promise<{ handles: number[] }>;
    handleInfo(sessionId: number, handleId: number): Promise<{ info?: Record<string, unknown> }>;
    sendRequest(request: object): Promise<unknown>;
  }

  const Janode: {
    connect(config: {
      address: { url: string; apisecret?: string } | { url: string; apisecret?: string }[];
      is_admin?: boolean;
      retry_time_secs?: number;
      max_retries?: number;
    }): Promise<JanodeConnection>;
    Logger: { setLevel(level: string): string };
    EVENT: Record<string, string>;
  };
  export default Janode;
}

declare module 'janode/handle' {
  export { JanodeHandle as default } from 'janode';
}
