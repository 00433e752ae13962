/**
 * The HLS port's HTTP surface, at the URLs WCS and its SDK use: `/<name>/<name>.m3u8` and the media it
 * names, CORS `*`. Everything is served from memory (no file is ever opened), so a name can only reach
 * its own stream's media. Blocking playlist reloads and preload-hinted parts wait for the media, each
 * within a bounded time and a bounded number of waiting requests per stream.
 */
import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../log.ts';
import { apiError, errorRenderer } from '../../../contract/error-body.ts';
import type { HlsOutputs } from './hls-outputs.ts';
import type { HlsSink } from './hls-sink.ts';
import { MSN_ADVANCE_LIMIT } from './media-window.ts';
import { parseMediaName, renderPlaylist, underSessionPath, type MediaName } from './playlist.ts';
import { admitPlaylist, checkMedia, type HlsGuard, type SessionMinter } from './hls-access.ts';

const MAX_WAITING_PER_STREAM = 5000;
const MAX_NAME_LENGTH = 256;
const PART_ADVANCE_LIMIT = 3;

type Env = { Bindings: { incoming?: IncomingMessage } };

export function buildHlsApp(hls: HlsOutputs, log: Logger, guard: HlsGuard): Hono<Env> {
  const app = new Hono<Env>();
  const waiting = new Map<HlsSink, number>();
  // A session path's token is a credential: never in a log line or an error text.
  const redacted = (path: string) => path.replace(/^\/s\/[^/]+\//, '/s/…/');
  app.onError(errorRenderer((path, err) => log.error('hls.http_error', { path: redacted(path), err })));
  app.notFound((c) => c.json({ error: 'not_found', message: `no HLS resource at ${redacted(c.req.path)}` }, 404));
  app.use('*', cors({ origin: '*', allowMethods: ['GET', 'HEAD', 'OPTIONS'], exposeHeaders: ['Content-Length'] }));

  /** Counts a request waiting on `sink` while `wait` runs; refuses once too many wait. */
  const bounded = async <T>(sink: HlsSink, wait: () => Promise<T>): Promise<T> => {
    const n = waiting.get(sink) ?? 0;
    if (n >= MAX_WAITING_PER_STREAM) throw apiError(503, 'unavailable', `too many requests waiting on ${sink.id}; retry`);
    waiting.set(sink, n + 1);
    try {
      return await wait();
    } finally {
      const left = (waiting.get(sink) ?? 1) - 1;
      if (left > 0) waiting.set(sink, left); else waiting.delete(sink);
    }
  };

  /** `session`: the session token of a guarded relay's media path (`/s/<token>/<name>/<file>`). */
  const serve = async (c: Context<Env>, session?: string) => {
    const name = c.req.param('name')!;
    const file = c.req.param('file')!;
    if (name.length > MAX_NAME_LENGTH || /[\u0000-\u001f]/.test(name)) throw apiError(400, 'bad_request', 'bad stream name');
    const media = file === `${name}.m3u8` && session === undefined ? undefined : parseMediaName(file);
    if (!media && (file !== `${name}.m3u8` || session !== undefined)) throw apiError(404, 'not_found', `no HLS resource ${file} for ${name}`);
    // Decided before anything is looked up or started: a refused viewer starts no packager and learns nothing.
    let mint: SessionMinter | undefined;
    if (media) checkMedia(guard, name, file, session); else mint = await admitPlaylist(c, guard, name);
    const client = `${c.env?.incoming?.socket.remoteAddress ?? ''} ${c.req.header('user-agent') ?? ''}`;
    const sink = media ? hls.get(name) : await hls.forRequest(name, client).catch((err: Error) => {
      throw apiError(503, 'unavailable', `cannot start the HLS output of ${name}: ${err.message}`);
    });
    if (!sink) throw apiError(404, 'not_found', `no stream ${name} on this relay`);
    if (media) return serveMedia(c, sink, media, client);
    return bounded(sink, () => servePlaylist(c, sink, mint, client));
  };
  app.get('/:name/:file', (c) => serve(c));
  app.get('/s/:session/:name/:file', (c) => serve(c, c.req.param('session')));

  async function servePlaylist(c: Context<Env>, sink: HlsSink, mint: SessionMinter | undefined, client: string): Promise<Response> {
    const w = sink.window;
    const msn = integer(c, '_HLS_msn');
    const part = integer(c, '_HLS_part');
    if (part !== undefined && msn === undefined) throw apiError(400, 'bad_request', '_HLS_part needs _HLS_msn');
    // Held until a segment is complete: players start from no less (the first one is short, see MediaWindow).
    if (!w.segments.some((seg) => seg.complete) && !w.ended && !(await w.waitFor(0, undefined, hls.settings.firstPartTimeoutMs))) {
      throw apiError(503, 'unavailable', `${sink.id} has no HLS media yet (packager ${sink.state}${sink.lastError ? `: ${sink.lastError}` : ''})`);
    }
    if (msn !== undefined) {
      const next = w.nextPart;
      if (msn > next.msn + MSN_ADVANCE_LIMIT || (msn === next.msn && (part ?? 0) > next.index + PART_ADVANCE_LIMIT)) {
        throw apiError(400, 'bad_request', `_HLS_msn=${msn} _HLS_part=${part ?? '-'} is beyond the advance limit (next part ${next.msn}.${next.index})`);
      }
      if (!(await w.waitFor(msn, part, 3 * w.targetDuration * 1000))) {
        throw apiError(503, 'unavailable', `segment ${msn} part ${part ?? '-'} did not come within 3 target durations`);
      }
    }
    const text = mint ? underSessionPath(renderPlaylist(w), (uri) => `../s/${mint(uri)}/${encodeURIComponent(sink.id)}/`) : renderPlaylist(w);
    hls.count(sink, 'playlists', text.length, client);
    return c.body(text, 200, { 'Content-Type': 'application/vnd.apple.mpegurl', 'Cache-Control': 'no-cache' });
  }

  async function serveMedia(c: Context<Env>, sink: HlsSink, media: MediaName, client: string): Promise<Response> {
    const w = sink.window;
    if (media.window !== w.id) throw apiError(404, 'not_found', 'media of an earlier session; reload the playlist');
    let bytes: Buffer | undefined;
    const kind = media.type === 'part' ? 'parts' : media.type === 'segment' ? 'segments' : 'inits';
    if (media.type === 'init') bytes = w.inits.get(media.id);
    else if (media.type === 'segment') bytes = w.segment(media.msn)?.bytes;
    else {
      const next = w.nextPart;
      // A preload hint names the next part before it exists: hold the request until it does.
      if (!w.part(media.msn, media.index) && media.msn === next.msn && media.index === next.index) {
        await bounded(sink, () => w.waitFor(media.msn, media.index, 3 * w.targetDuration * 1000));
      }
      bytes = w.part(media.msn, media.index)?.bytes;
    }
    if (!bytes) throw apiError(404, 'not_found', `${c.req.param('file')} is not (or no longer) in the window`);
    hls.count(sink, kind, bytes.length, client);
    return c.body(new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length), 200,
      { 'Content-Type': 'video/mp4', 'Cache-Control': 'max-age=60' });
  }

  return app;
}

function integer(c: Context, key: string): number | undefined {
  const raw = c.req.query(key);
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw)) throw apiError(400, 'bad_request', `${key} must be a non-negative integer`);
  return Number(raw);
}
