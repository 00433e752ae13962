/**
 * The one way a stream comes to be, for every source (publisher, pull, test source): claim the name
 * synchronously (of racing requests exactly one wins), then bind the tee's ingress sockets and register
 * the Stream. If any step fails, everything taken so far is given back.
 */
import type { MediaKind } from '../sdp/description.ts';
import { Tee } from '../media/tee.ts';
import { UdpPair } from '../media/udp-pair.ts';
import type { StreamRegistry } from './registry.ts';
import { Stream, type StreamCodecs, type StreamDeps, type StreamOrigin } from './stream.ts';

export interface StreamFactoryDeps extends StreamDeps { registry: StreamRegistry }

export interface StreamPlan { mediaSessionId: string; origin: StreamOrigin; kinds: readonly MediaKind[]; codecs?: StreamCodecs }

/**
 * A name held for a stream that is not open yet: claimed → prepared (sockets bound, the Stream made, not
 * yet findable) → registered (in the registry, which gives the name back when the stream closes), or
 * released at any point before that.
 */
export class StreamClaim {
  private state: 'claimed' | 'preparing' | 'prepared' | 'registered' | 'released' = 'claimed';

  private constructor(readonly name: string, private readonly deps: StreamFactoryDeps) {}

  /** Undefined when the name is already a stream or claimed. */
  static take(deps: StreamFactoryDeps, name: string): StreamClaim | undefined {
    return deps.registry.claimName(name) ? new StreamClaim(name, deps) : undefined;
  }

  /** Binds one RTP/RTCP pair per kind and makes the tee and the Stream; players cannot find it yet. */
  async prepare(plan: StreamPlan): Promise<Stream> {
    if (this.state !== 'claimed') throw new Error(`the claim on ${this.name} is ${this.state}`);
    this.state = 'preparing';
    const ingress: Partial<Record<MediaKind, UdpPair>> = {};
    try {
      for (const kind of plan.kinds) ingress[kind] = await UdpPair.bind(this.deps.teePorts);
    } catch (err) {
      for (const pair of Object.values(ingress)) pair?.close();
      this.release();
      throw err;
    }
    if ((this.state as string) === 'released') { // given up while binding: the name may be someone else's by now
      for (const pair of Object.values(ingress)) pair?.close();
      throw new Error(`the claim on ${this.name} was released while its stream was being prepared`);
    }
    this.state = 'prepared';
    return new Stream(this.name, plan.mediaSessionId, plan.origin, plan.codecs ?? {}, new Tee(ingress), this.deps);
  }

  /** Makes the prepared stream findable under the claimed name. */
  register(stream: Stream): void {
    if (this.state !== 'prepared') throw new Error(`the claim on ${this.name} is ${this.state}`);
    this.state = 'registered';
    this.deps.registry.add(stream);
  }

  /** Prepares and registers at once (pulls, the test source: findable while they connect). */
  async open(plan: StreamPlan): Promise<Stream> {
    const stream = await this.prepare(plan);
    this.register(stream);
    return stream;
  }

  /** Gives the name back unless a registered stream holds it now (then its close does). */
  release(): void {
    if (this.state === 'registered' || this.state === 'released') return;
    // While preparing, the name goes back now and prepare() lets go of its sockets when it finds out.
    this.state = 'released';
    this.deps.registry.releaseName(this.name);
  }
}
