/**
 * The viewer page's plays on one proxied connection, as the operator's webhooks see them: a handle's WebRTC leg up
 * is `play.started`; its hangup, a switch to another mountpoint, or the connection's end is `play.stopped`. Media
 * goes from Janus to the browser without passing the relay, so `bytes` is null: the relay only sees the signalling.
 */
import { randomUUID } from 'node:crypto';
import type { Webhooks } from '../webhooks/webhooks.ts';

interface Play { stream: string; sessionId: string; since: number }

export class ViewerPlays {
  private readonly playing = new Map<number, Play>();

  constructor(private readonly webhooks: Webhooks) {}

  /** Handle `handle`'s leg is up, watching `stream`. */
  started(handle: number, stream: string): void {
    if (this.playing.get(handle)?.stream === stream) return;
    this.stopped(handle, `switched to ${stream}`);
    const play = { stream, sessionId: `viewer-${randomUUID()}`, since: Date.now() };
    this.playing.set(handle, play);
    this.webhooks.emit('play.started', stream, { protocol: 'viewer', sessionId: play.sessionId });
  }

  /** A `switch` the relay admitted: the same leg now carries `stream` (Janus sends no new webrtcup). */
  switched(handle: number, stream: string): void {
    if (this.playing.has(handle)) this.started(handle, stream);
  }

  stopped(handle: number, reason: string): void {
    const play = this.playing.get(handle);
    if (!play) return;
    this.playing.delete(handle);
    this.webhooks.emit('play.stopped', play.stream, { protocol: 'viewer', sessionId: play.sessionId, bytes: null, durationMs: Date.now() - play.since, reason });
  }

  stopAll(reason: string): void {
    for (const handle of [...this.playing.keys()]) this.stopped(handle, reason);
  }
}
