import { describe, expect, it } from 'vitest';
import { MediaWindow } from '../../../../relay/outputs/hls/media-window.ts';
import { parseMediaName, renderPlaylist } from '../../../../relay/outputs/hls/playlist.ts';

const settings = { segmentSeconds: 1, partSeconds: 0.2, listSize: 3 };
const bytes = (n = 10) => Buffer.alloc(n, 1);

/**
 * Feeds `seconds` of 0.2 s parts with a keyframe every `gop` seconds, and one more at the second part
 * (what the sink asks the source for, and what x264 is told to make, after a start).
 */
function feed(w: MediaWindow, seconds: number, gop = 1, t0 = 0, early = true) {
  const every = Math.round(gop / 0.2);
  for (let i = 0; i < Math.round(seconds / 0.2); i++) w.addPart(bytes(), 0.2, i % every === 0 || (early && i === 1), t0 + i * 200);
}

describe('MediaWindow: segments and parts', () => {
  it('starts a segment at a keyframe once the open one has 70% of the target; parts stay in order', () => {
    const w = new MediaWindow(settings);
    w.addInit(bytes());
    feed(w, 3);
    // The first segment ends at the second keyframe, so a player can start as soon as there is media.
    expect(w.segments.map((s) => [s.msn, s.parts.length, s.complete])).toEqual([[0, 1, true], [1, 4, true], [2, 5, true], [3, 5, false]]);
    expect(w.segments[2]!.duration).toBeCloseTo(1);
    expect(w.segments.map((seg) => seg.parts[0]!.independent)).toEqual([true, true, true, true]);
    expect(w.nextPart).toEqual({ msn: 3, index: 5 });
    expect(w.segment(2)!.bytes).toHaveLength(50);
  });

  it('a keyframe before 70% of the target stays inside the segment: a 0.4 s GOP makes 0.8 s segments, not 0.4 s', () => {
    const w = new MediaWindow({ ...settings, listSize: 8 });
    w.addInit(bytes());
    feed(w, 3, 0.4);
    expect(w.segments.map((s) => s.duration.toFixed(1))).toEqual(['0.2', '1.0', '0.8', '0.8', '0.2']);
  });

  it('cuts a segment without a keyframe before it outgrows the target duration (long GOP)', () => {
    const w = new MediaWindow(settings);
    w.addInit(bytes());
    feed(w, 4, 10);
    for (const s of w.segments) expect(Math.round(s.duration)).toBeLessThanOrEqual(w.targetDuration);
    expect(w.segments[2]!.parts[0]!.independent).toBe(false);
  });

  it('a source that ignores keyframe requests: the first segment lasts until its next keyframe', () => {
    const w = new MediaWindow(settings);
    w.addInit(bytes());
    feed(w, 1.4, 1, 0, false);
    expect(w.segments.map((s) => [s.duration.toFixed(1), s.complete])).toEqual([['1.0', true], ['0.4', false]]);
  });

  it('keeps listSize complete segments, drops older ones with their init, and counts discontinuities that slid out', () => {
    const w = new MediaWindow(settings);
    w.addInit(bytes());
    feed(w, 2);
    w.addInit(bytes(20));
    feed(w, 6);
    expect(w.segments.filter((s) => s.complete)).toHaveLength(3);
    expect(w.segments[0]!.msn).toBe(6);
    expect([...w.inits.keys()]).toEqual([2]);
    expect(w.discontinuitySequence).toBe(1);
  });

  it('answers blocking requests: now, once the part comes, false on timeout, and at once when the stream ends', async () => {
    const w = new MediaWindow(settings);
    w.addInit(bytes());
    feed(w, 1.2); // segments 0 (one part), 1 (four), 2 (open, one part)
    expect(w.has(1)).toBe(true);
    expect(w.has(2, 0)).toBe(true);
    expect(w.has(2, 1)).toBe(false);
    expect(w.has(2)).toBe(false);
    const waiting = w.waitFor(2, 1, 5000);
    w.addPart(bytes(), 0.2, false);
    await expect(waiting).resolves.toBe(true);
    await expect(w.waitFor(2, 4, 20)).resolves.toBe(false);
    const ended = w.waitFor(3, 0, 5000);
    w.end();
    await expect(ended).resolves.toBe(true);
    expect(w.listenerCount('changed')).toBe(0);
  });
});

describe('playlist', () => {
  it('is an LL-HLS playlist that a player ignoring LL-HLS still reads: complete segments, parts near the edge, hint, PDT', () => {
    const w = new MediaWindow({ ...settings, listSize: 8 });
    w.addInit(bytes());
    feed(w, 5.4, 1, Date.parse('2026-12-01T10:00:00Z'));
    const text = renderPlaylist(w);
    const lines = text.trim().split('\n');
    expect(lines.slice(0, 7)).toEqual(['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:1',
      '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.600', '#EXT-X-PART-INF:PART-TARGET=0.200',
      '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-DISCONTINUITY-SEQUENCE:0']);
    expect(lines).toContain(`#EXT-X-MAP:URI="init-${w.id}-1.mp4"`);
    expect(lines.filter((l) => l.startsWith('#EXTINF:')).map((l) => l.slice(8))).toEqual(['0.200,', '0.800,', '1.000,', '1.000,', '1.000,', '1.000,']);
    expect(lines).toContain(`seg-${w.id}-5.m4s`);
    expect(lines[lines.length - 1]).toBe(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-${w.id}-6.2.m4s"`);
    // Parts only for the last ~3 target durations: none for segments 0-2, all for the open segment 6.
    expect(text).not.toContain(`part-${w.id}-2.0.m4s`);
    expect(text).toContain(`#EXT-X-PART:DURATION=0.200,URI="part-${w.id}-3.0.m4s",INDEPENDENT=YES`);
    expect(text).toContain(`#EXT-X-PART:DURATION=0.200,URI="part-${w.id}-6.1.m4s"\n`);
    expect(lines.filter((l) => l.startsWith('#EXT-X-PROGRAM-DATE-TIME:'))[0]).toBe('#EXT-X-PROGRAM-DATE-TIME:2026-12-01T09:59:59.800Z');
  });

  it('marks a restarted packager with EXT-X-DISCONTINUITY and its new map, and ends with EXT-X-ENDLIST', () => {
    const w = new MediaWindow(settings);
    w.addInit(bytes());
    feed(w, 1.2);
    w.addInit(bytes());
    feed(w, 1);
    w.end();
    const lines = renderPlaylist(w).trim().split('\n');
    const disc = lines.indexOf('#EXT-X-DISCONTINUITY');
    expect(disc).toBeGreaterThan(0);
    expect(lines[disc + 1]).toBe(`#EXT-X-MAP:URI="init-${w.id}-2.mp4"`);
    expect(lines.at(-1)).toBe('#EXT-X-ENDLIST');
    expect(lines.join('\n')).not.toContain('PRELOAD-HINT');
  });

  it('reads back only the media names it writes', () => {
    expect(parseMediaName('part-abc1-12.3.m4s')).toEqual({ type: 'part', window: 'abc1', msn: 12, index: 3 });
    expect(parseMediaName('seg-abc1-7.m4s')).toEqual({ type: 'segment', window: 'abc1', msn: 7 });
    expect(parseMediaName('init-abc1-2.mp4')).toEqual({ type: 'init', window: 'abc1', id: 2 });
    for (const bad of ['../etc/passwd', 'seg-abc1-7.mp4', 'init-abc1-2.3.mp4', 'seg-ABC-1.m4s', 'seg-abc1-99999999999.m4s', 'part-a-1.m4s']) {
      expect(parseMediaName(bad)).toBeUndefined();
    }
  });
});
