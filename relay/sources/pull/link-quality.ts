/**
 * A pull's link quality (`PullLink`) from two views of its media: Janus's, of the WebRTC leg (the Admin API's
 * handle_info, which Janus 1.1.2 builds in janus.c, janus_admin_peerconnection_medium_summary), and the tee's,
 * of the plain RTP the leg hands on. Pure: the LinkMonitor samples, this reduces.
 *
 * Per medium, handle_info has `rtcp.main.{rtt, lost}` (lost: cumulative, counted at each receiver report,
 * retransmissions not counting as received), `stats.in.{packets, retransmissions}` (packets include
 * retransmissions), `stats.out.nacks` (packets we NACKed) and, from Siphon's patched Janus, `siphon.{nack-rtt,
 * missing, giveups, gap-plis}`. `media` is keyed by mid.
 */
import type { PullLink } from '../../../contract/pull.ts';

/** One handle_info of a receive leg, audio and video summed; counters since the leg was made. */
export interface LegCounters {
  /** Packets that arrived the first time (retransmissions excluded). */
  received: number;
  /**
   * Packets lost before any repair: the patched Janus's count of sequence numbers found missing where it reports
   * one (`siphon.missing`), else RTCP's cumulative `lost`, which undercounts (a repaired packet counts as received).
   */
  lost: number;
  nacksSent: number;
  retransmissions: number;
  rttMs: number | null;
  /** Gaps the patched Janus gave up repairing, and the keyframe requests it sent for them; null: not reported. */
  giveups: number | null;
  gapPlis: number | null;
}

/** The tee's running totals for the stream the pull feeds. */
export interface TeeCounters {
  expected: number; lost: number; keyframeRequests: number;
  /** Packets the playout buffer passed on out of order: they came after later ones had left. */
  late: number;
}

/** What the pull's earlier legs added up to (a reconnect starts a new leg whose counters start at 0). */
export interface EarlierLegs { nacksSent: number; retransmissions: number; giveups: number | null; gapPlis: number }

export const NO_LEG: LegCounters = { received: 0, lost: 0, nacksSent: 0, retransmissions: 0, rttMs: null, giveups: null, gapPlis: null };
export const NO_EARLIER_LEGS: EarlierLegs = { nacksSent: 0, retransmissions: 0, giveups: null, gapPlis: 0 };

export const UNKNOWN_LINK: PullLink = {
  rttMs: null, lossPct: null, lossAfterRepairPct: null, nacksSent: null, retransmissionsReceived: null,
  keyframeRequests: null, unrepairedGaps: null, repairedLate: null, slowlinkEvents: 0, updatedAt: null,
};

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Json : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The leg's counters from a handle_info `info`; undefined when it has no WebRTC media (yet, or any more). */
export function legCounters(info: unknown): LegCounters | undefined {
  const media = obj(obj(obj(info)?.webrtc)?.media);
  if (!media) return undefined;
  const leg: LegCounters = { ...NO_LEG };
  let any = false;
  for (const medium of Object.values(media).map(obj)) {
    if (!medium || (medium.type !== 'audio' && medium.type !== 'video')) continue;
    any = true;
    const rtcp = obj(obj(medium.rtcp)?.main);
    const stats = obj(medium.stats);
    const inStats = obj(stats?.in);
    const siphon = obj(medium.siphon);
    const retransmissions = num(inStats?.retransmissions) ?? 0;
    leg.received += Math.max(0, (num(inStats?.packets) ?? 0) - retransmissions);
    leg.lost += num(siphon?.missing) ?? num(rtcp?.lost) ?? 0;
    leg.nacksSent += num(obj(stats?.out)?.nacks) ?? 0;
    leg.retransmissions += retransmissions;
    // A receive-only leg sends no sender reports, so RTCP's RTT stays 0 there; the patched Janus times NACKs instead.
    const rtt = [num(rtcp?.rtt), num(siphon?.['nack-rtt'])].find((v) => v !== undefined && v > 0);
    if (rtt !== undefined) leg.rttMs = Math.max(leg.rttMs ?? 0, rtt);
    const giveups = num(siphon?.giveups);
    if (giveups !== undefined) leg.giveups = (leg.giveups ?? 0) + giveups;
    const gapPlis = num(siphon?.['gap-plis']);
    if (gapPlis !== undefined) leg.gapPlis = (leg.gapPlis ?? 0) + gapPlis;
  }
  return any ? leg : undefined;
}

/** A leg's last counters added to those of the legs before it (the leg ended). */
export function addLeg(earlier: EarlierLegs, leg: LegCounters): EarlierLegs {
  return {
    nacksSent: earlier.nacksSent + leg.nacksSent, retransmissions: earlier.retransmissions + leg.retransmissions,
    giveups: leg.giveups === null ? earlier.giveups : (earlier.giveups ?? 0) + leg.giveups, gapPlis: earlier.gapPlis + (leg.gapPlis ?? 0),
  };
}

/** `lost` of `expected` in %, two decimals; undefined when nothing was expected (no media in the window). */
function percent(lost: number, expected: number): number | undefined {
  if (expected <= 0) return undefined;
  return Math.round((Math.min(expected, Math.max(0, lost)) / expected) * 10_000) / 100;
}

export interface LinkSample {
  /** The tee at the start and the end of the window. */
  tee: [TeeCounters, TeeCounters];
  /** The current leg's latest counters handle_info gave (NO_LEG before the first). */
  leg: LegCounters;
  /** The leg's counters at the start of the window; absent when handle_info could not be had this time. */
  legFrom?: LegCounters;
}

/**
 * The link after one sample. Percentages cover the window (what the operator sees is how the link is now, not
 * diluted by hours of good media); counts are the pull's totals. Without a fresh leg sample, or without media in
 * the window, a figure stays as `previous` had it; counts that were never known stay null.
 */
export function nextLink(previous: PullLink, sample: LinkSample, earlier: EarlierLegs, slowlinkEvents: number, at: Date): PullLink {
  const [teeFrom, teeTo] = sample.tee;
  const { leg, legFrom } = sample;
  const known = legFrom !== undefined || previous.nacksSent !== null;
  const gapPlis = earlier.gapPlis + (leg.gapPlis ?? 0);
  const lost = legFrom ? leg.lost - legFrom.lost : 0;
  return {
    rttMs: legFrom ? leg.rttMs ?? previous.rttMs : previous.rttMs,
    lossPct: (legFrom ? percent(lost, leg.received - legFrom.received + lost) : undefined) ?? previous.lossPct,
    lossAfterRepairPct: percent(teeTo.lost - teeFrom.lost, teeTo.expected - teeFrom.expected) ?? previous.lossAfterRepairPct,
    nacksSent: known ? earlier.nacksSent + leg.nacksSent : null,
    retransmissionsReceived: known ? earlier.retransmissions + leg.retransmissions : null,
    keyframeRequests: teeTo.keyframeRequests + gapPlis,
    unrepairedGaps: leg.giveups === null && earlier.giveups === null ? null : (earlier.giveups ?? 0) + (leg.giveups ?? 0),
    repairedLate: teeTo.late,
    slowlinkEvents,
    updatedAt: at.toISOString(),
  };
}
