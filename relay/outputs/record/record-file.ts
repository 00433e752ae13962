/**
 * What a recording is called and what it holds: WCS's `stream_record_policy_template` elements, the container
 * the stream's codecs go into without a video transcode (H.264 → MP4 with AAC, VP8 → WebM with Opus), and a
 * file name safe on disk and in a URL.
 */
import type { StreamCodecs } from '../../streams/stream.ts';

export type Container = 'mp4' | 'webm';

/** Where the relay's HTTP port serves a recording (the SDK's recording page links it there, as WCS does). */
export const recordsPath = (file: string) => `/client/records/${encodeURIComponent(file)}`;

export interface RecordNameParts {
  streamName: string;
  startTime: number;
  mediaSessionId: string;
  codecs: StreamCodecs;
}

const ELEMENTS = ['streamName', 'startTime', 'startTimeMillis', 'mediaSessionId', 'videoCodec', 'audioCodec'] as const;

/** A template element we do not know is a setting mistake, said at startup rather than in a file name. */
export function templateProblem(template: string): string | undefined {
  if (!template.trim()) return 'the recording template is empty';
  for (const [, name] of template.matchAll(/\{([^}]*)\}/g)) {
    if (!(ELEMENTS as readonly string[]).includes(name!)) return `the recording template uses {${name}}; known: ${ELEMENTS.map((e) => `{${e}}`).join(' ')}`;
  }
  return undefined;
}

export const containerFor = (codecs: StreamCodecs): Container => (codecs.video && codecs.video.name !== 'H264' ? 'webm' : 'mp4');

/** Letters, digits, `.`, `_` and `-` stay; anything else (a `/` in a stream name) becomes `_`. */
const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');

export function recordFileName(template: string, p: RecordNameParts): string {
  const values: Record<(typeof ELEMENTS)[number], string> = {
    streamName: p.streamName, startTime: String(p.startTime), startTimeMillis: String(p.startTime), mediaSessionId: p.mediaSessionId,
    videoCodec: p.codecs.video?.name.toLowerCase() ?? '', audioCodec: p.codecs.audio?.name.toLowerCase() ?? '',
  };
  const base = template.replace(/\{([^}]*)\}/g, (_, name: keyof typeof values) => values[name] ?? '');
  return `${safe(base).slice(0, 200)}.${containerFor(p.codecs)}`;
}
