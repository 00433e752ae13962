/**
 * Where a stream's media goes: every output (the Janus mountpoint for viewer-page viewers, an SDK player's
 * or a WHEP viewer's NoSIP leg, HLS, an RTMP push, a recording, a push to another WCS) has this one shape,
 * so the Stream can start, restart and close them all in one place. A sink the stream starts by itself (the
 * mountpoint) is `restartable`; a sink a client negotiated (a player) attaches once negotiated and ends when
 * its media path goes.
 */
import type { Codec, MediaKind } from '../sdp/description.ts';

export type SinkKind = 'mountpoint' | 'wcs-player' | 'hls' | 'rtmp' | 'wcs-push' | 'record';
/** `restarting`: a sink that outlives its source's restarts (HLS) is making its media path again. */
export type SinkState = 'idle' | 'starting' | 'running' | 'restarting' | 'stopped';

export interface SinkEnd { status: 'STOPPED' | 'FAILED' | 'UNPUBLISHED'; info: string }

/** What a sink needs from the stream's ingress. */
export interface SinkNeeds {
  /** Media kinds it forwards. */
  kinds: readonly MediaKind[];
  /** Wants a keyframe when it starts (a new viewer, a new segment). */
  keyframeOnStart: boolean;
}

export interface Sink {
  readonly kind: SinkKind;
  readonly id: string;
  readonly state: SinkState;
  readonly needs: SinkNeeds;
  /** The stream closes (parent-initiated): end with `end`, release everything. */
  streamClosed(end: SinkEnd): Promise<void>;
  /** Janus went away with every handle: forget them without talking to Janus. */
  janusLost(): void;
  /** The ingress now carries other codecs (a pull reconnected to a changed source). */
  codecsChanged(codecs: { audio?: Codec; video?: Codec }): Promise<void>;
  /** The source (re)started sending with the stream's current codecs: its first answer and every reconnect. */
  sourceStarted?(): void;
  /** A `sendStreamEvent` of the publisher (data, mute), for sinks that relay them. */
  streamEvent?(type: string, payload: unknown): void;
}

export interface RestartableSink extends Sink {
  /** (Re)starts feeding from the tee; idempotent: concurrent calls share one start. */
  start(): Promise<void>;
}

export const isRestartable = (s: Sink): s is RestartableSink => 'start' in s;
