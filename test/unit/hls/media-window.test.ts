import { describe, expect, it } from 'vitest';
import { MediaWindow } from '../../../relay/outputs/hls/media-window.ts';
import { parseMediaName, renderPlaylist } from '../../../relay/outputs/hls/playlist.ts';

const settings = { segmentSeconds: 1, partSeconds: 0.2, listSize: 3 };
const bytes = (n = 10) => Buffer.alloc(n, 1);

/** Feeds `seconds` of 0.2 s parts with a keyframe every `gop` seconds. */
function feed(w: MediaWindow, seconds: number, gop = 1, t0 = 0) {
  for (let i = 0; i < Math.round(seconds / 0.2); i++) w.addPart(bytes(), 0.2, Math.round((i * 0.2) % gop * 1000) === 0, t0 + i * 200);
}

describe('MediaWindow: segments and parts', () => {
  it('starts a segment at a keyframe once the open one has 70% of the target; parts stay in order', () => {
    const w = new MediaWindow(settings);
    w.addInit(bytes());
    feed(w, 3);
    expect(w.segments.map((s) => [s.msn, s.parts.length, s.complete])).toEqual([[0, 5, true], [1, 5, true], [2, 5, false]]);
    expect(w.segments[0]!.duration).toBeCloseTo(1);
    expect(w.nextPart).toEqual({ msn: 2, index: 5 });
    expect(w.segment(1)!.bytes).toHaveLength(50);
  });

  it('a keyframe before 70% of the target stays inside the segment: a 0.4 s GOP makes 0.8 s segments, not 0.4 s', () => {
    const w = new MediaWindow(settings);
    w.addInit(bytes());
    feed(w, 3, 0.4);
    expect(w.segments.map((s) => s.duration.toFixed(1))).toEqual(['0.8', '0.8', '0.8', '0.6']);
  });

  it('cuts a segment without a keyframe before it outgrows the target duration (long GOP)', () => {
    const w = new MediaWindow(settings);
    w.addInit(bytes());
    feed(w, 4, 10);
    for (const s of w.segments) expect(Math.round(s.duration)).toBeLessThanOrEqual(w.targetDuration);
    expect(w.segments[1]!.parts[0]!.independent).toBe(false);
  });

  it('keeps listSize complete segments, drops older ones with their init, and counts discontinuities that slid out', () => {
    const w = new MediaWindow(settings);
    w.addInit(bytes());
    feed(w, 2);
    w.addInit(bytes(20));
    feed(w, 6);
    expect(w.segments.filter((s) => s.complete)).toHaveLength(3);
    expect(w.segments[0]!.msn).toBe(4);
    expect([...w.inits.keys()]).toEqual([2]);
    expect(w.discontinuitySequence).toBe(1);
  });

  it('answers blocking requests: now, once the part comes, false on timeout, and at once when the stream ends', async () => {
    const w = new MediaWindow(settings);
    w.addInit(bytes());
    feed(w, 1.2);
    expect(w.has(0)).toBe(true);
    expect(w.has(1, 0)).toBe(true);
    expect(w.has(1, 1)).toBe(false);
    const waiting = w.waitFor(1, 1, 5000);
    w.addPart(bytes(), 0.2, false);
    await expect(waiting).resolves.toBe(true);
    await expect(w.waitFor(1, 4, 20)).resolves.toBe(false);
    const ended = w.waitFor(2, 0, 5000);
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
    expect(lines.filter((l) => l.startsWith('#EXTINF:1.000,'))).toHaveLength(5);
    expect(lines).toContain(`seg-${w.id}-4.m4s`);
    expect(lines[lines.length - 1]).toBe(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-${w.id}-5.2.m4s"`);
    // Parts only for the last ~3 target durations: none for segment 0, all for the open segment 5.
    expect(text).not.toContain(`part-${w.id}-0.0.m4s`);
    expect(text).toContain(`#EXT-X-PART:DURATION=0.200,URI="part-${w.id}-5.0.m4s",INDEPENDENT=YES`);
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
