/**
 * The relay's pulls, keyed by local stream name. Creating one checks the dialling rules and claims the
 * name synchronously (so of N racing requests exactly one wins) before anything is bound or dialled;
 * if setting up fails, everything made so far is released again.
 */
import { randomUUID } from 'node:crypto';
import type { RelayContext } from '../../context.ts';
import { StreamClaim } from '../../streams/stream-factory.ts';
import { checkOrigin, checkResolvedOrigin, PullRefusedError } from '../../wcs/origins.ts';

export { PullRefusedError };
import { Pull, type PullSpec } from './pull.ts';

export interface PullFilter { uri?: string; localStreamName?: string; remoteStreamName?: string }

export class Pulls {
  private readonly pulls = new Map<string, Pull>();
  /** Told every pull's state changes (the edge link beats at once when a pull fails: its parent may be gone). */
  stateListener: ((name: string, state: string) => void) | undefined;

  constructor(private readonly ctx: RelayContext) {
    ctx.janus.on('up', () => { for (const p of this.pulls.values()) p.retrySoon(); });
  }

  all(): Pull[] { return [...this.pulls.values()]; }

  find(f: PullFilter): Pull[] {
    return this.all().filter((p) => (f.uri === undefined || p.spec.uri === f.uri)
      && (f.localStreamName === undefined || p.spec.localStreamName === f.localStreamName)
      && (f.remoteStreamName === undefined || p.spec.remoteStreamName === f.remoteStreamName));
  }

  async create(spec: PullSpec): Promise<Pull> {
    checkOrigin(spec.uri, this.ctx.config);
    await checkResolvedOrigin(spec.uri, this.ctx.config);
    const claim = this.pulls.has(spec.localStreamName) ? undefined : StreamClaim.take(this.ctx, spec.localStreamName);
    if (!claim) {
      throw new PullRefusedError(409, 'conflict', `localStreamName "${spec.localStreamName}" is already a stream or a pull on this relay`);
    }
    const stream = await claim.open({ mediaSessionId: randomUUID(), origin: 'pull', kinds: ['audio', 'video'] });
    const pull = new Pull(spec, stream, this.ctx);
    this.pulls.set(spec.localStreamName, pull);
    pull.stream.once('closed', () => this.pulls.delete(spec.localStreamName));
    pull.on('state', (to: string) => this.stateListener?.(spec.localStreamName, to));
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
