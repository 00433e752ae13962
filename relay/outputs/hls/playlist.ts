/**
 * The media playlist of a stream, written from its MediaWindow: one playlist for every player. LL-HLS
 * players read EXT-X-PART, EXT-X-PRELOAD-HINT and EXT-X-SERVER-CONTROL; the others skip those tags and
 * play the complete segments (RFC 8216bis 4.4).
 */
import type { MediaWindow, Segment } from './media-window.ts';

/**
 * The names the routes serve; the playlist links to them relatively, so one text fits every host and
 * port. Each carries the window's id, so a cache never mixes up two sessions' media of one stream.
 */
export const mediaNames = {
  init: (w: string, id: number) => `init-${w}-${id}.mp4`,
  segment: (w: string, msn: number) => `seg-${w}-${msn}.m4s`,
  part: (w: string, msn: number, index: number) => `part-${w}-${msn}.${index}.m4s`,
} as const;

export type MediaName =
  | { type: 'init'; window: string; id: number }
  | { type: 'segment'; window: string; msn: number }
  | { type: 'part'; window: string; msn: number; index: number };

const MEDIA_NAME = /^(init|seg|part)-([a-z0-9]{1,16})-(\d{1,9})(?:\.(\d{1,4}))?\.(mp4|m4s)$/;

/** Reads a media file name back; anything else (traversal, odd names) is undefined. */
export function parseMediaName(file: string): MediaName | undefined {
  const m = MEDIA_NAME.exec(file);
  if (!m) return undefined;
  const [, type, window, a, b, ext] = m;
  if (type === 'init' && ext === 'mp4' && b === undefined) return { type: 'init', window: window!, id: Number(a) };
  if (type === 'seg' && ext === 'm4s' && b === undefined) return { type: 'segment', window: window!, msn: Number(a) };
  if (type === 'part' && ext === 'm4s' && b !== undefined) return { type: 'part', window: window!, msn: Number(a), index: Number(b) };
  return undefined;
}

const seconds = (s: number) => s.toFixed(3);

export function renderPlaylist(w: MediaWindow): string {
  const partTarget = w.settings.partSeconds;
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:6',
    `#EXT-X-TARGETDURATION:${w.targetDuration}`,
    `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${seconds(3 * partTarget)}`,
    `#EXT-X-PART-INF:PART-TARGET=${seconds(partTarget)}`,
    `#EXT-X-MEDIA-SEQUENCE:${w.segments[0]?.msn ?? 0}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${w.discontinuitySequence}`,
  ];
  const partsFrom = w.partListedFrom();
  let initId = -1;
  for (const seg of w.segments) {
    if (seg.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (seg.initId !== initId) {
      lines.push(`#EXT-X-MAP:URI="${mediaNames.init(w.id, seg.initId)}"`);
      initId = seg.initId;
    }
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(seg.programDateTime).toISOString()}`);
    if (seg.msn >= partsFrom) lines.push(...partLines(w.id, seg));
    if (seg.complete) lines.push(`#EXTINF:${seconds(seg.duration)},`, mediaNames.segment(w.id, seg.msn));
  }
  if (w.ended) lines.push('#EXT-X-ENDLIST');
  else if (w.segments.length > 0) {
    const next = w.nextPart;
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${mediaNames.part(w.id, next.msn, next.index)}"`);
  }
  return lines.join('\n') + '\n';
}

function partLines(id: string, seg: Segment): string[] {
  return seg.parts.map((p) => `#EXT-X-PART:DURATION=${seconds(p.duration)},URI="${mediaNames.part(id, p.msn, p.index)}"`
    + (p.independent ? ',INDEPENDENT=YES' : ''));
}

/** The same playlist for one admitted viewer: every media URI under its session path (`prefix(uri)`), nothing else changed. */
export function underSessionPath(playlist: string, prefix: (uri: string) => string): string {
  return playlist.replace(/URI="([^"]+)"/g, (_, uri: string) => `URI="${prefix(uri)}${uri}"`)
    .replace(/^(?!#)(\S+)$/gm, (uri) => `${prefix(uri)}${uri}`);
}
