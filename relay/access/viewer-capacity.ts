/**
 * How many WebRTC viewers this relay takes (`SIPHON_MAX_VIEWERS`): WCS players, WHEP sessions and viewer-page
 * watches together, since all of them cost the relay's Janus a leg. Past it a new viewer is refused with a reason
 * and a time to come back, instead of every viewer losing packets; HLS is not counted (its media is shared, served
 * from one window and cacheable). The edge reads the same figure from /metrics and sends viewers elsewhere.
 */
export class ViewerCapacity {
  /** `max`: 0 for no limit. `count`: the viewers now. */
  constructor(readonly max: number, private readonly count: () => number) {}

  get viewers(): number { return this.count(); }

  /** Why one more viewer is refused now, or undefined when there is room. */
  full(): string | undefined {
    if (this.max <= 0) return undefined;
    const now = this.count();
    return now >= this.max ? `relay full: ${now} of ${this.max} WebRTC viewers; try again later or another relay` : undefined;
  }
}

/** Seconds a refused viewer is told to wait (WHEP's Retry-After). */
export const FULL_RETRY_AFTER_S = 5;
