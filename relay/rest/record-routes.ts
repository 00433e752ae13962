/**
 * Recording over REST, as WCS documents it: `/rest-api/stream/startRecording {mediaSessionId}` and
 * `/stream/stopRecording {mediaSessionId}` (a stream's mediaSessionId: a publisher's, a pull's local one, the
 * demo's), `/rest-api/recorder/find_all`; and the files where the SDK's recording page links them,
 * `/client/records/<file>` (byte ranges, so players seek), by signed link on a guarded relay (record-urls.ts). A file
 * still being finished is served once it is.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { serveStatic } from '@hono/node-server/serve-static';
import { apiError } from '../../contract/error-body.ts';
import { readBody } from './body.ts';
import type { Recording } from '../outputs/record/recording.ts';
import { RecordRefusedError, type Recordings } from '../outputs/record/recordings.ts';
import type { RecordUrls } from '../outputs/record/record-urls.ts';

const idSchema = z.object({ mediaSessionId: z.string().min(1).max(128) }).passthrough();

/** A finishing file waits at most this long before it is served as it is. */
const SETTLE_WAIT_MS = 10_000;

export interface RecordingRecord {
  mediaSessionId: string; streamName: string; fileName: string | null; files: string[]; state: string;
  bytes: number; startTime: number; lastError: string | null; url: string | null;
}

export function recordingRecord(r: Recording, urls: RecordUrls): RecordingRecord {
  return {
    mediaSessionId: r.stream.mediaSessionId, streamName: r.stream.name, fileName: r.fileName ?? null, files: r.files, state: r.recState,
    bytes: r.bytes, startTime: r.startedAt, lastError: r.lastError, url: r.fileName ? urls.url(r.fileName) : null,
  };
}

export function addRecordRoutes(app: Hono, recordings: Recordings, urls: RecordUrls): void {
  const record = (r: Recording) => recordingRecord(r, urls);
  const streamOf = (mediaSessionId: string) => {
    const stream = recordings.streamById(mediaSessionId);
    if (!stream) throw apiError(404, 'not_found', `no stream with mediaSessionId ${mediaSessionId}`);
    return stream;
  };
  app.post('/rest-api/stream/startRecording', async (c) => {
    const stream = streamOf((await readBody(c, idSchema)).mediaSessionId);
    try {
      return c.json(record(await recordings.start(stream)));
    } catch (err) {
      if (err instanceof RecordRefusedError) throw apiError(err.status, err.code, err.message);
      throw err;
    }
  });
  app.post('/rest-api/stream/stopRecording', async (c) => {
    const stream = streamOf((await readBody(c, idSchema)).mediaSessionId);
    const rec = await recordings.stop(stream, 'Stopped by rest /stopRecording');
    if (!rec) throw apiError(404, 'not_found', `stream "${stream.name}" is not being recorded`);
    return c.json(record(rec));
  });
  app.on(['GET', 'POST'], '/rest-api/recorder/find_all', (c) => {
    const all = recordings.all();
    if (all.length === 0) throw apiError(404, 'not_found', 'no recordings');
    return c.json(all.map(record));
  });
  app.get('/client/records/:file', async (c, next) => {
    const refused = urls.refusal(c.req.param('file'), c.req.query('expires'), c.req.query('sig'));
    if (refused) throw apiError(c.req.query('sig') ? 403 : 401, c.req.query('sig') ? 'forbidden' : 'unauthorized', refused);
    const rec = recordings.ofFile(c.req.param('file'));
    if (rec && rec.fileName === c.req.param('file') && rec.recState === 'stopping') {
      await Promise.race([rec.settled(), new Promise((r) => setTimeout(r, SETTLE_WAIT_MS))]);
    }
    await next();
  }, serveStatic({ root: recordings.settings.dir, rewriteRequestPath: (path) => path.slice('/client/records'.length) }));
}
