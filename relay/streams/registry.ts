/**
 * The relay's authority on names: a stream name or mediaSessionId is claimed synchronously before any
 * asynchronous work starts, so two racing publishers cannot both win.
 */
import { EventEmitter } from 'node:events';
import type { Stream, StreamEnd } from './stream.ts';

/** A WCS publisher or player as the registry sees it (wcs/media-session.ts implements it). */
export interface RegisteredMediaSession {
  readonly id: string;
  readonly name: string;
  readonly role: 'publisher' | 'player';
  readonly status: string;
  readonly info: string;
  readonly startedAt: number;
  readonly isEnded: boolean;
  end(end: StreamEnd): void;
}

export interface RegistryEvents { added: [Stream] }

export class StreamRegistry extends EventEmitter<RegistryEvents> {
  private readonly streams = new Map<string, Stream>();
  private readonly claimed = new Set<string>();
  /** Media bytes of streams that have ended, so /metrics counters never go down. */
  readonly closedTotals = { bytesIn: 0, bytesOut: 0, packetsIn: 0 };
  private readonly mediaSessions = new Map<string, RegisteredMediaSession | undefined>();

  claimName(name: string): boolean {
    if (this.claimed.has(name)) return false;
    this.claimed.add(name);
    return true;
  }

  releaseName(name: string): void {
    this.claimed.delete(name);
    this.streams.delete(name);
  }

  add(stream: Stream): void {
    if (!this.claimed.has(stream.name)) throw new Error(`stream ${stream.name} added without a claim`);
    this.streams.set(stream.name, stream);
    this.emit('added', stream);
    stream.once('closed', () => {
      this.closedTotals.bytesIn += stream.tee.bytesIn;
      this.closedTotals.bytesOut += stream.tee.bytesOut;
      this.closedTotals.packetsIn += stream.tee.packetsIn;
      if (this.streams.get(stream.name) === stream) this.releaseName(stream.name);
    });
  }

  get(name: string): Stream | undefined { return this.streams.get(name); }

  all(): Stream[] { return [...this.streams.values()]; }

  claimMediaSession(id: string): boolean {
    if (this.mediaSessions.has(id)) return false;
    this.mediaSessions.set(id, undefined);
    return true;
  }

  bindMediaSession(session: RegisteredMediaSession): void {
    if (this.mediaSessions.has(session.id)) this.mediaSessions.set(session.id, session);
  }

  allMediaSessions(): RegisteredMediaSession[] {
    return [...this.mediaSessions.values()].filter((s): s is RegisteredMediaSession => s !== undefined);
  }

  releaseMediaSession(id: string): void { this.mediaSessions.delete(id); }
}
