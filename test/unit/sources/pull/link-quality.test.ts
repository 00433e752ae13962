/** A pull's link from a handle_info answer shaped like Janus 1.1.2's (a NoSIP receive leg) and the tee's totals. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  addLeg, legCounters, nextLink, NO_EARLIER_LEGS, NO_LEG, UNKNOWN_LINK, type LegCounters, type TeeCounters,
} from '../../../../relay/sources/pull/link-quality.ts';

type Medium = { rtcp: { main: Record<string, number> }; stats: { in: Record<string, number>; out: Record<string, number> }; siphon?: Record<string, number> };
const reply = JSON.parse(readFileSync(new URL('../../../fixtures/janus/handle-info-pull-leg.json', import.meta.url), 'utf8')) as {
  info: { webrtc: { media: Record<string, Medium> } };
};
/** The fixture's `info`, changed by `edit` (a later sample, the patched Janus's fields). */
function info(edit: (media: Record<string, Medium>) => void = () => undefined) {
  const copy = structuredClone(reply.info);
  edit(copy.webrtc.media);
  return copy;
}
const tee = (expected: number, lost: number, keyframeRequests = 0, late = 0): TeeCounters => ({ expected, lost, keyframeRequests, late });
const at = new Date('2026-05-04T10:00:05.000Z');

describe('legCounters (handle_info → the leg)', () => {
  it('sums audio and video: first-time packets (retransmissions taken out), RTCP losses, NACKs we sent, retransmissions', () => {
    expect(legCounters(reply.info)).toEqual({
      received: 2500 + 4946 - 40, lost: 12 + 48, nacksSent: 55, retransmissions: 40, rttMs: null, giveups: null, gapPlis: null,
    } satisfies LegCounters);
  });

  it('takes RTCP RTT when Janus has one, the patched Janus NACK RTT when RTCP gives 0, and the gap counts it adds', () => {
    const patched = info((m) => {
      m['1']!.siphon = { 'nack-rtt': 84, giveups: 3, 'gap-plis': 2 };
      m['0']!.siphon = { 'nack-rtt': 0, giveups: 1, 'gap-plis': 0 };
    });
    expect(legCounters(patched)).toMatchObject({ rttMs: 84, giveups: 4, gapPlis: 2 });
    // Loss before repair: the patched Janus's count of missing sequence numbers, not RTCP's (repaired ones count received there)
    const counted = info((m) => { m['1']!.siphon = { missing: 150 }; m['0']!.siphon = { missing: 30 }; });
    expect(legCounters(counted)?.lost).toBe(180);
    const withRtcpRtt = info((m) => { m['1']!.rtcp.main.rtt = 61; m['1']!.siphon = { 'nack-rtt': 84 }; });
    expect(legCounters(withRtcpRtt)?.rttMs).toBe(61);
  });

  it('has nothing to say about a handle without WebRTC media, or an answer that is not handle_info', () => {
    expect(legCounters({ plugin: 'janus.plugin.nosip', flags: {} })).toBeUndefined();
    expect(legCounters({ webrtc: { media: { 0: { type: 'data', stats: {} } } } })).toBeUndefined();
    expect(legCounters(null)).toBeUndefined();
    expect(legCounters('nope')).toBeUndefined();
  });
});

describe('nextLink', () => {
  const first = legCounters(reply.info)!;

  it('before repair from the leg, after repair from the tee, both over the window; counts as totals', () => {
    const link = nextLink(UNKNOWN_LINK, { tee: [tee(0, 0), tee(7_470, 4, 3, 2)], leg: first, legFrom: NO_LEG }, NO_EARLIER_LEGS, 1, at);
    expect(link).toEqual({
      rttMs: null, lossPct: 0.8 /* 60 of 7466 */, lossAfterRepairPct: 0.05 /* 4 of 7470 */, nacksSent: 55, retransmissionsReceived: 40,
      keyframeRequests: 3, unrepairedGaps: null, repairedLate: 2, slowlinkEvents: 1, updatedAt: '2026-05-04T10:00:05.000Z',
    });

    // Five seconds later: 1000 more packets, 10 more lost on the leg, all repaired before the tee.
    const later = legCounters(info((m) => {
      m['1']!.stats.in.packets = 5_946 + 10;
      m['1']!.stats.in.retransmissions = 50;
      m['1']!.rtcp.main.lost = 58;
      m['1']!.stats.out.nacks = 65;
    }))!;
    const next = nextLink(link, { tee: [tee(7_470, 4, 3), tee(8_480, 4, 3)], leg: later, legFrom: first }, NO_EARLIER_LEGS, 1, at);
    expect([next.lossPct, next.lossAfterRepairPct, next.nacksSent, next.retransmissionsReceived]).toEqual([0.99 /* 10 of 1010 */, 0, 65, 50]);
  });

  it('without a leg sample (handle_info failed), keeps what the leg said and still follows the tee', () => {
    const link = nextLink(UNKNOWN_LINK, { tee: [tee(0, 0), tee(1000, 0)], leg: first, legFrom: NO_LEG }, NO_EARLIER_LEGS, 0, at);
    const next = nextLink({ ...link, rttMs: 40 }, { tee: [tee(1000, 0), tee(2000, 20, 1)], leg: first }, NO_EARLIER_LEGS, 2, at);
    expect(next).toMatchObject({ rttMs: 40, lossPct: link.lossPct, lossAfterRepairPct: 2, nacksSent: 55, keyframeRequests: 1, slowlinkEvents: 2 });
  });

  it('leaves unknown what no sample has told yet, and keeps the last percentages over a window without media', () => {
    const none = nextLink(UNKNOWN_LINK, { tee: [tee(0, 0), tee(0, 0)], leg: NO_LEG }, NO_EARLIER_LEGS, 0, at);
    expect(none).toMatchObject({ rttMs: null, lossPct: null, lossAfterRepairPct: null, nacksSent: null, retransmissionsReceived: null, unrepairedGaps: null });
    const some = { ...UNKNOWN_LINK, lossPct: 1.5, lossAfterRepairPct: 0.5, nacksSent: 9 };
    const quiet = nextLink(some, { tee: [tee(500, 2), tee(500, 2)], leg: first, legFrom: first }, NO_EARLIER_LEGS, 0, at);
    expect([quiet.lossPct, quiet.lossAfterRepairPct]).toEqual([1.5, 0.5]);
  });

  it('adds up the legs of earlier attempts (a reconnect starts Janus counters at 0), and the patched Janus gap counts', () => {
    const patchedLeg = legCounters(info((m) => { m['1']!.siphon = { 'nack-rtt': 70, giveups: 3, 'gap-plis': 2 }; }))!;
    const earlier = addLeg(NO_EARLIER_LEGS, patchedLeg);
    expect(earlier).toEqual({ nacksSent: 55, retransmissions: 40, giveups: 3, gapPlis: 2 });
    const fresh = legCounters(info((m) => { m['1']!.stats.out.nacks = 5; m['1']!.stats.in.retransmissions = 4; }))!;
    const link = nextLink(UNKNOWN_LINK, { tee: [tee(0, 0), tee(100, 0, 7)], leg: fresh, legFrom: NO_LEG }, earlier, 0, at);
    expect([link.nacksSent, link.retransmissionsReceived, link.unrepairedGaps, link.keyframeRequests]).toEqual([60, 44, 3, 9]);
  });
});
