/**
 * One stream's HLS viewers. HTTP has no "stop": a viewer (a client: its address and user agent) is playing while it
 * reloads the playlist, which every live player does at least once per target duration, and has stopped once it has
 * not for a while. So `play.started` is its first playlist request and `play.stopped` comes that while after its
 * last one, with the bytes served to it (playlists and media) and the time from first to last request. Two players
 * behind one address with the same user agent count as one.
 */
import { randomUUID } from 'node:crypto';
import type { Webhooks } from '../../webhooks/webhooks.ts';

interface Viewer { sessionId: string; since: number; lastAt: number; bytes: number }

export class HlsViewers {
  private readonly byClient = new Map<string, Viewer>();

  constructor(private readonly stream: string, private readonly webhooks: Webhooks) {}

  /** A playlist request from `client`. */
  reloaded(client: string): void {
    const now = Date.now();
    const known = this.byClient.get(client);
    if (known) { known.lastAt = now; return; }
    const viewer = { sessionId: `hls-${randomUUID()}`, since: now, lastAt: now, bytes: 0 };
    this.byClient.set(client, viewer);
    this.webhooks.emit('play.started', this.stream, { protocol: 'hls', sessionId: viewer.sessionId });
  }

  /** Bytes served to `client`; a client that is no viewer (media without a playlist first) is not counted. */
  served(client: string, bytes: number): void {
    const viewer = this.byClient.get(client);
    if (viewer) viewer.bytes += bytes;
  }

  /** Viewers that reloaded at or after `since`. */
  countSince(since: number): number {
    let n = 0;
    for (const v of this.byClient.values()) if (v.lastAt >= since) n += 1;
    return n;
  }

  /** Viewers silent since before `before` have stopped. */
  sweep(before: number, reason: string): void {
    for (const [client, v] of this.byClient) if (v.lastAt < before) this.stop(client, v, reason);
  }

  stopAll(reason: string): void {
    for (const [client, v] of this.byClient) this.stop(client, v, reason);
  }

  private stop(client: string, v: Viewer, reason: string): void {
    this.byClient.delete(client);
    this.webhooks.emit('play.stopped', this.stream, { protocol: 'hls', sessionId: v.sessionId, bytes: v.bytes, durationMs: v.lastAt - v.since, reason });
  }
}
