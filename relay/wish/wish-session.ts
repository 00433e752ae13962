/**
 * What a WHIP publisher and a WHEP viewer share (IETF WISH: RFC 9725, draft-ietf-wish-whep): a media session
 * (a Publisher or a Player, with its NoSIP leg) behind an HTTP resource instead of a WCS socket. Its ETag
 * names the ICE session: the ICE credentials of the client's offer. Trickled candidates go to Janus as they come.
 */
import { randomUUID } from 'node:crypto';
import { parseSdp } from '../sdp/description.ts';
import type { MediaClient, MediaSession } from '../webrtc/media-session.ts';
import type { StreamStatus } from '../streams/status.ts';
import { SdpFragmentError, parseSdpFragment } from './sdp-fragment.ts';

export type WishKind = 'whep' | 'whip';

export abstract class WishSession {
  readonly id = randomUUID();
  abstract readonly kind: WishKind;
  abstract readonly media: MediaSession;
  private mids: string[] = [];
  private ufrag = '';
  private offer = '';
  /** The principal that created this resource (wish-access.ts), when access control names one. */
  owner: string | undefined;

  constructor(readonly streamName: string, private readonly onEnd: (s: WishSession) => void) {}

  get etag(): string { return `"${this.ufrag || this.id}"`; }
  get status(): StreamStatus { return this.media.status; }

  /** The WCS-status side of the media session: nobody to tell but the log, and the collection when it ends. */
  protected client(): MediaClient {
    return {
      notify: (status) => { if (this.media?.isEnded) this.onEnd(this); else this.media?.log.debug(`${this.kind}.status`, { status }); },
      streamEvent: () => undefined,
    };
  }

  /** Returns the SDP answer; on failure the session has ended and let go of everything. */
  async start(offer: string): Promise<string> {
    const parsed = parseSdp(offer);
    this.mids = parsed.media.map((m, i) => m.mid ?? String(i));
    this.ufrag = /^a=ice-ufrag:(\S+)/m.exec(offer)?.[1] ?? '';
    this.offer = offer;
    try {
      const answer = await this.open(offer);
      if (this.media.isEnded) throw new Error(this.media.info || 'ended while starting');
      return answer;
    } catch (err) {
      this.media.end({ status: 'FAILED', info: (err as Error).message });
      throw err;
    } finally {
      await this.media.settle();
    }
  }

  protected abstract open(offer: string): Promise<string>;

  /** Trickle (PATCH): hands the candidates to Janus. */
  async trickle(body: string): Promise<void> {
    const fragment = parseSdpFragment(body, this.mids);
    for (const candidate of fragment.candidates) await this.media.trickle(candidate);
    if (fragment.endOfCandidates) await this.media.trickle(null);
  }

  /**
   * ICE restart (PATCH with `If-Match: *`): the client's new credentials in its first offer, candidates
   * stripped; Janus restarts ICE. Returns the fragment for the client: Janus's new credentials and candidates.
   */
  async restartIce(body: string): Promise<string> {
    const fragment = parseSdpFragment(body, this.mids);
    if (!fragment.ufrag || !fragment.pwd) throw new SdpFragmentError('an ICE restart needs a=ice-ufrag and a=ice-pwd');
    const offer = this.offer
      .replace(/^a=ice-ufrag:.*$/gm, `a=ice-ufrag:${fragment.ufrag}`).replace(/^a=ice-pwd:.*$/gm, `a=ice-pwd:${fragment.pwd}`)
      .replace(/^a=(candidate:.*|end-of-candidates)\r?\n/gm, '');
    const answer = await this.media.reoffer(offer);
    this.offer = offer;
    this.ufrag = fragment.ufrag;
    for (const candidate of fragment.candidates) await this.media.trickle(candidate);
    if (fragment.endOfCandidates) await this.media.trickle(null);
    const lines = answer.split(/\r?\n/);
    const first = (prefix: string) => lines.find((l) => l.startsWith(prefix));
    // Janus repeats its candidates in each bundled m-section: each once here.
    const candidates = [...new Set(lines.filter((l) => l.startsWith('a=candidate:')))];
    const mine = [first('a=ice-ufrag:'), first('a=ice-pwd:'), ...candidates, 'a=end-of-candidates'];
    return `${mine.filter(Boolean).join('\r\n')}\r\n`;
  }

  abstract end(info?: string): void;
}
