/**
 * The relay's pulls, keyed by local stream name. Creating one checks the dialling rules and claims the
 * name synchronously (so of N racing requests exactly one wins) before anything is bound or dialled;
 * if setting up fails, everything made so far is released again.
 */
import { randomUUID } from 'node:crypto';
import type { RelayContext } from '../../context.ts';
import { StreamClaim } from '../../streams/stream-factory.ts';
import { isCloudMetadata, originAllowed } from './origins.ts';
import { Pull, type PullSpec } from './pull.ts';

/** The request cannot be carried out as asked; `status` is the HTTP code the REST edge answers with. */
export class PullRefusedError extends Error {
  override name = 'PullRefusedError';
  constructor(readonly status: 400 | 403 | 409, readonly code: string, message: string) { super(message); }
}

export interface PullFilter { uri?: string; localStreamName?: string; remoteStreamName?: string }

export class Pulls {
  private readonly pulls = new Map<string, Pull>();

  constructor(private readonly ctx: RelayContext) {
    ctx.janus.on('up', () => { for (const p of this.pulls.values()) p.retrySoon(); });
  }

  all(): Pull[] { return [...this.pulls.values()]; }

  find(f: PullFilter): Pull[] {
    return this.all().filter((p) => (f.uri === undefined || p.spec.uri === f.uri)
      && (f.localStreamName === undefined || p.spec.localStreamName === f.localStreamName)
      && (f.remoteStreamName === undefined || p.spec.remoteStreamName === f.remoteStreamName));
  }

  private check(spec: PullSpec): void {
    let url: URL;
    try {
      url = new URL(spec.uri);
    } catch {
      throw new PullRefusedError(400, 'bad_request', `uri: "${spec.uri}" is not a URL`);
    }
    if (!['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol)) {
      throw new PullRefusedError(400, 'bad_request', 'uri: must start with ws:// or wss:// (WCS) or http:// or https:// (WHEP)');
    }
    if (!url.hostname) throw new PullRefusedError(400, 'bad_request', 'uri: has no host');
    const allowList = this.ctx.config.pullAllowedOrigins;
    if (isCloudMetadata(url) && !(allowList.length > 0 && originAllowed(url, allowList))) {
      throw new PullRefusedError(403, 'forbidden',
        `uri: ${url.hostname} is a cloud metadata address; a pull there is refused unless pull_allowed_origins (SIPHON_PULL_ALLOWED_ORIGINS) names it`);
    }
    if (url.protocol === 'wss:' && !this.ctx.config.wcsAgentSsl) {
      throw new PullRefusedError(400, 'bad_request',
        'uri: wss:// pulls are disabled; set wcs_agent_ssl=true (SIPHON_WCS_AGENT_SSL=true) to allow them, or use ws://');
    }
    if (!originAllowed(url, this.ctx.config.pullAllowedOrigins)) {
      throw new PullRefusedError(403, 'forbidden', `uri: ${url.host} is not in pull_allowed_origins`);
    }
  }

  async create(spec: PullSpec): Promise<Pull> {
    this.check(spec);
    const claim = this.pulls.has(spec.localStreamName) ? undefined : StreamClaim.take(this.ctx, spec.localStreamName);
    if (!claim) {
      throw new PullRefusedError(409, 'conflict', `localStreamName "${spec.localStreamName}" is already a stream or a pull on this relay`);
    }
    const stream = await claim.open({ mediaSessionId: randomUUID(), origin: 'pull', kinds: ['audio', 'video'] });
    const pull = new Pull(spec, stream, this.ctx);
    this.pulls.set(spec.localStreamName, pull);
    pull.stream.once('closed', () => this.pulls.delete(spec.localStreamName));
    pull.start();
    return pull;
  }

  async terminate(f: PullFilter, reason: string): Promise<Pull[]> {
    const matched = this.find(f);
    await Promise.all(matched.map((p) => p.terminate(reason)));
    return matched;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.all().map((p) => p.terminate('relay shutting down')));
  }
}
