/**
 * The relay's `/pull/push`es: a local stream published to a remote WCS under a name. One per (uri, remote
 * name); the URL rules are the pull agent's. WCS lists them with the pulls (`/pull/find_all`) and ends them
 * with `/pull/terminate`.
 */
import type { RelayContext } from '../../context.ts';
import { checkOrigin, checkResolvedOrigin, PullRefusedError } from '../../wcs/origins.ts';
import { WcsPush, type PushSpec } from './wcs-push.ts';

export interface PushFilter { uri?: string; localStreamName?: string; remoteStreamName?: string }

export class WcsPushes {
  private readonly pushes = new Set<WcsPush>();

  constructor(private readonly ctx: RelayContext) {
    ctx.janus.on('up', () => { for (const p of this.pushes) p.retrySoon('media server is back'); });
  }

  all(): WcsPush[] { return [...this.pushes]; }

  find(f: PushFilter): WcsPush[] {
    return this.all().filter((p) => (f.uri === undefined || p.spec.uri === f.uri)
      && (f.localStreamName === undefined || p.spec.localStreamName === f.localStreamName)
      && (f.remoteStreamName === undefined || p.spec.remoteStreamName === f.remoteStreamName));
  }

  async create(spec: PushSpec): Promise<WcsPush> {
    checkOrigin(spec.uri, this.ctx.config, 'push');
    await checkResolvedOrigin(spec.uri, this.ctx.config, 'push');
    const stream = this.ctx.registry.get(spec.localStreamName);
    if (!stream || stream.isClosed) throw new PullRefusedError(404, 'not_found', `localStreamName: no stream "${spec.localStreamName}" on this relay`);
    if (this.find({ uri: spec.uri, remoteStreamName: spec.remoteStreamName }).length > 0) {
      throw new PullRefusedError(409, 'conflict', `a push to "${spec.remoteStreamName}" at ${spec.uri} already exists`);
    }
    const push = new WcsPush(spec, this.ctx);
    this.pushes.add(push);
    push.on('state', (s) => { if (s === 'TERMINATED') this.pushes.delete(push); });
    push.start();
    return push;
  }

  async terminate(f: PushFilter, reason: string): Promise<WcsPush[]> {
    const matched = this.find(f);
    await Promise.all(matched.map((p) => p.terminate(reason)));
    return matched;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.all().map((p) => p.terminate('relay shutting down')));
  }
}
