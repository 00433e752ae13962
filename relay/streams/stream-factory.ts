/**
 * The one way a stream comes to be, for every source (publisher, pull, test source): claim the name
 * synchronously (of racing requests exactly one wins), then bind the tee's ingress sockets and register
 * the Stream. If any step fails, everything taken so far is given back.
 */
import type { MediaKind } from '../sdp/session.ts';
import { Tee } from '../media/tee.ts';
import { UdpPair } from '../media/udp-pair.ts';
import type { StreamRegistry } from './registry.ts';
import { Stream, type StreamCodecs, type StreamDeps, type StreamOrigin } from './stream.ts';

export interface StreamFactoryDeps extends StreamDeps { registry: StreamRegistry }

export interface StreamPlan { mediaSessionId: string; origin: StreamOrigin; kinds: readonly MediaKind[]; codecs?: StreamCodecs }

/** A name held for a stream that is not open yet. */
export class StreamClaim {
  private settled = false;

  private constructor(readonly name: string, private readonly deps: StreamFactoryDeps) {}

  /** Undefined when the name is already a stream or claimed. */
  static take(deps: StreamFactoryDeps, name: string): StreamClaim | undefined {
    return deps.registry.claimName(name) ? new StreamClaim(name, deps) : undefined;
  }

  /** Binds one RTP/RTCP pair per kind, makes the tee and the Stream, and registers it under the claimed name. */
  async open(plan: StreamPlan): Promise<Stream> {
    if (this.settled) throw new Error(`the claim on ${this.name} was already used or released`);
    this.settled = true;
    const ingress: Partial<Record<MediaKind, UdpPair>> = {};
    try {
      for (const kind of plan.kinds) ingress[kind] = await UdpPair.bind(this.deps.teePorts);
    } catch (err) {
      for (const pair of Object.values(ingress)) pair?.close();
      this.deps.registry.releaseName(this.name);
      throw err;
    }
    const stream = new Stream(this.name, plan.mediaSessionId, plan.origin, plan.codecs ?? {}, new Tee(ingress), this.deps);
    this.deps.registry.add(stream);
    return stream;
  }

  /** Gives the name back without opening a stream. */
  release(): void {
    if (this.settled) return;
    this.settled = true;
    this.deps.registry.releaseName(this.name);
  }
}
