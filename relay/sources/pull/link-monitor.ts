/**
 * Keeps a pull's `link` (link-quality.ts) while the pull is PLAYING: every 5 s it asks Janus for the leg's
 * handle_info and reads the tee's totals, and it logs `pull.link` every 30 s and once when the pull leaves PLAYING.
 * One timer per pull. handle_info failing or hanging never touches the pull: it is logged at debug and the link
 * keeps what it knew (the Admin API may be absent, e.g. an external Janus without SIPHON_JANUS_ADMIN_URL).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../log.ts';
import type { PullLink } from '../../../contract/pull.ts';
import {
  addLeg, legCounters, nextLink, NO_EARLIER_LEGS, NO_LEG, UNKNOWN_LINK, type EarlierLegs, type LegCounters, type TeeCounters,
} from './link-quality.ts';

/** The Admin API's handle_info `info` of one handle. */
export type HandleInfo = (sessionId: number, handleId: number) => Promise<unknown>;

/** A leg as the Admin API names it. */
export interface WatchedLeg { readonly sessionId: number; readonly id: number }

/** The stream's tee, as far as the link reads it. */
export interface TeeTotals {
  readonly packetsExpected: number; readonly packetsLost: number; readonly packetsLate: number; readonly keyframeRequests: number;
}

export interface LinkTimings { sampleMs: number; logEverySamples: number }

const TIMINGS: LinkTimings = { sampleMs: 5_000, logEverySamples: 6 };

export class LinkMonitor extends EventEmitter<{ link: [PullLink] }> {
  link: PullLink = UNKNOWN_LINK;
  private timer: NodeJS.Timeout | undefined;
  /** Grows at every watch and unwatch, so a handle_info answer about an earlier leg is dropped. */
  private watchId = 0;
  private samples = 0;
  /** The watch whose handle_info is out, if one is. */
  private samplingFor: number | undefined;
  private slowlinks = 0;
  private earlier: EarlierLegs = NO_EARLIER_LEGS;
  private leg: LegCounters = NO_LEG;
  private teeAt: TeeCounters;

  constructor(private readonly tee: TeeTotals, private readonly handleInfo: HandleInfo, private readonly log: Logger,
    private readonly timings: LinkTimings = TIMINGS) {
    super();
    this.teeAt = this.teeNow();
  }

  /** Janus said `slowlink` on the pull's leg. */
  slowlink(): void { this.slowlinks += 1; }

  /** The pull is PLAYING on `leg`: sample it from now on. */
  watch(leg: WatchedLeg): void {
    this.unwatch();
    const id = ++this.watchId;
    this.leg = NO_LEG;
    this.teeAt = this.teeNow();
    this.samples = 0;
    this.timer = setInterval(() => {
      this.sample(id, leg).catch((err: unknown) => this.log.warn('pull.link_sample_failed', { handle: leg.id, err }));
    }, this.timings.sampleMs);
  }

  /** The pull left PLAYING (failed, reconnects, ends): stop sampling, keep the leg's counts, log the last figures. */
  unwatch(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.watchId += 1;
    this.update(undefined);
    this.earlier = addLeg(this.earlier, this.leg);
    this.leg = NO_LEG;
    this.log.info('pull.link', { ...this.link });
  }

  private async sample(id: number, leg: WatchedLeg): Promise<void> {
    if (this.samplingFor === id) return; // the previous handle_info is still out (it times out well within a period)
    this.samplingFor = id;
    let counters: LegCounters | undefined;
    try {
      counters = legCounters(await this.handleInfo(leg.sessionId, leg.id));
      if (!counters) this.log.debug('pull.link_no_media', { handle: leg.id });
    } catch (err) {
      this.log.debug('pull.link_handle_info_failed', { handle: leg.id, err });
    } finally {
      if (this.samplingFor === id) this.samplingFor = undefined;
    }
    if (id !== this.watchId) return;
    this.update(counters);
    this.emit('link', this.link);
    this.samples += 1;
    if (this.samples % this.timings.logEverySamples === 0) this.log.info('pull.link', { ...this.link });
  }

  private update(counters: LegCounters | undefined): void {
    const teeNow = this.teeNow();
    const legFrom = counters ? this.leg : undefined;
    if (counters) this.leg = counters;
    this.link = nextLink(this.link, { tee: [this.teeAt, teeNow], leg: this.leg, legFrom }, this.earlier, this.slowlinks, new Date());
    this.teeAt = teeNow;
  }

  private teeNow(): TeeCounters {
    return { expected: this.tee.packetsExpected, lost: this.tee.packetsLost, keyframeRequests: this.tee.keyframeRequests, late: this.tee.packetsLate };
  }
}
