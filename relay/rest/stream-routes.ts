/**
 * WCS's `/rest-api/stream/*`: find_all, find (with `display: ["metrics"]`, what the SDK's REST client sends),
 * terminate with each filter WCS documents, and snapshot. Bodies and codes follow WCS: 200 with an array, 404 when
 * nothing matches.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import type { RelayView } from './relay-view.ts';
import { apiError } from '../../contract/error-body.ts';
import { readBody } from './body.ts';
import { streamMetrics, streamRecords, type StreamRecord } from './stream-records.ts';
import { Info } from '../streams/status.ts';
import { SnapshotError } from '../outputs/snapshot/snapshots.ts';

const id = z.string().min(1).max(128);
/** The SDK's REST client sends null for a filter it was not given (the web console does). */
const filterFields = {
  mediaSessionId: id.nullish(),
  name: z.string().min(1).max(256).nullish(),
  published: z.boolean().nullish(),
};
const findSchema = z.object({ ...filterFields, display: z.array(z.enum(['metrics'])).max(4).nullish() }).strict();
/** `{}` stops every WCS, WHIP and WHEP session, as WCS documents it (an empty body is a 400: no accident ends them all). */
const terminateSchema = z.object({
  ...filterFields, mediaSessionIds: z.array(id).min(1).max(1000).nullish(), status: z.string().min(1).max(32).nullish(),
}).strict();
const snapshotSchema = z.object({ streamName: z.string().min(1).max(256) }).strict();

type Filter = z.infer<typeof terminateSchema>;

function matches(r: StreamRecord, q: Filter): boolean {
  return (q.mediaSessionId == null || r.mediaSessionId === q.mediaSessionId)
    && (q.mediaSessionIds == null || q.mediaSessionIds.includes(r.mediaSessionId))
    && (q.name == null || r.name === q.name) && (q.published == null || r.published === q.published)
    && (q.status == null || r.status === q.status);
}

export function addStreamRoutes(app: Hono, relay: RelayView): void {
  const { log } = relay.ctx;
  app.on(['GET', 'POST'], '/rest-api/stream/find_all', (c) => {
    const rows = streamRecords(relay);
    if (rows.length === 0) throw apiError(404, 'not_found', 'no streams');
    return c.json(rows);
  });

  app.post('/rest-api/stream/find', async (c) => {
    const q = await readBody(c, findSchema, true);
    const rows = streamRecords(relay).filter((r) => matches(r, q));
    if (rows.length === 0) throw apiError(404, 'not_found', 'no stream matches');
    if (!q.display?.includes('metrics')) return c.json(rows);
    return c.json(rows.map((r) => ({ ...r, metrics: streamMetrics(relay, r) })));
  });

  app.post('/rest-api/stream/terminate', async (c) => {
    const q = await readBody(c, terminateSchema);
    const ids = streamRecords(relay).filter((r) => matches(r, q)).map((r) => r.mediaSessionId);
    const done = ids.filter((mid) => relay.wcs.terminate(mid, Info.restTerminate) || relay.wish.terminate(mid, Info.restTerminate));
    if (done.length === 0) throw apiError(404, 'not_found', 'no stream matches');
    log.info('rest.stream_terminated', { mediaSessionIds: done, filter: Object.keys(q).filter((k) => q[k as keyof Filter] != null).join(',') || 'all', key: c.get('restKey').name });
    return c.json({ terminated: done });
  });

  app.post('/rest-api/stream/snapshot', async (c) => {
    const { streamName } = await readBody(c, snapshotSchema);
    const stream = relay.ctx.registry.get(streamName);
    if (!stream || stream.status !== 'PUBLISHING') throw apiError(404, 'not_found', `no stream "${streamName}" is playing here`);
    try {
      return c.json({ data: await relay.snapshots.take(stream) });
    } catch (err) {
      if (err instanceof SnapshotError) throw apiError(err.status, err.status === 409 ? 'no_video' : 'snapshot_failed', err.message);
      throw err;
    }
  });
}
