/**
 * Recording over REST, as WCS documents it: `/rest-api/stream/startRecording {mediaSessionId}` and
 * `/stream/stopRecording {mediaSessionId}` (a stream's mediaSessionId: a publisher's, a pull's local one, the
 * demo's), `/rest-api/recorder/find_all`; and the files where the SDK's recording page links them,
 * `/client/records/<file>` (byte ranges, so players seek). A file still being finished is served once it is.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { serveStatic } from '@hono/node-server/serve-static';
import { apiError } from '../../contract/error-body.ts';
import { readBody } from './body.ts';
import type { Recording } from '../outputs/record/recording.ts';
import { RecordRefusedError, type Recordings } from '../outputs/record/recordings.ts';
import { recordsPath } from '../outputs/record/record-file.ts';

const idSchema = z.object({ mediaSessionId: z.string().min(1).max(128) }).passthrough();

/** A finishing file waits at most this long before it is served as it is. */
const SETTLE_WAIT_MS = 10_000;

export interface RecordingRecord {
  mediaSessionId: string; streamName: string; fileName: string | null; files: string[]; state: string;
  bytes: number; startTime: number; lastError: string | null; url: string | null;
}

export function recordingRecord(r: Recording): RecordingRecord {
  return {
    mediaSessionId: r.stream.mediaSessionId, streamName: r.stream.name, fileName: r.fileName ?? null, files: r.files, state: r.recState,
    bytes: r.bytes, startTime: r.startedAt, lastError: r.lastError, url: r.fileName ? recordsPath(r.fileName) : null,
  };
}

export function addRecordRoutes(app: Hono, recordings: Recordings): void {
  const streamOf = (mediaSessionId: string) => {
    const stream = recordings.streamById(mediaSessionId);
    if (!stream) throw apiError(404, 'not_found', `no stream with mediaSessionId ${mediaSessionId}`);
    return stream;
  };
  app.post('/rest-api/stream/startRecording', async (c) => {
    const stream = streamOf((await readBody(c, idSchema)).mediaSessionId);
    try {
      return c.json(recordingRecord(await recordings.start(stream)));
    } catch (err) {
      if (err instanceof RecordRefusedError) throw apiError(err.status, err.code, err.message);
      throw err;
    }
  });
  app.post('/rest-api/stream/stopRecording', async (c) => {
    const stream = streamOf((await readBody(c, idSchema)).mediaSessionId);
    const rec = await recordings.stop(stream, 'Stopped by rest /stopRecording');
    if (!rec) throw apiError(404, 'not_found', `stream "${stream.name}" is not being recorded`);
    return c.json(recordingRecord(rec));
  });
  app.on(['GET', 'POST'], '/rest-api/recorder/find_all', (c) => {
    const all = recordings.all();
    if (all.length === 0) throw apiError(404, 'not_found', 'no recordings');
    return c.json(all.map(recordingRecord));
  });
  app.get('/client/records/:file', async (c, next) => {
    const rec = recordings.ofFile(c.req.param('file'));
    if (rec && rec.fileName === c.req.param('file') && rec.recState === 'stopping') {
      await Promise.race([rec.settled(), new Promise((r) => setTimeout(r, SETTLE_WAIT_MS))]);
    }
    await next();
  }, serveStatic({ root: recordings.settings.dir, rewriteRequestPath: (path) => path.slice('/client/records'.length) }));
}
