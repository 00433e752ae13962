/**
 * WCS's `/rest-api/connection/*` (the Websocket sessions on this relay: list, find, kick) and `/rest-api/data/send`
 * (an object to one session's SESSION_STATUS.APP_DATA, the SDK's `OnDataEvent`). 200 with an array, 404 when none.
 */
import type { Hono } from 'hono';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { RelayView } from './relay-view.ts';
import { apiError } from '../../contract/error-body.ts';
import { readBody } from './body.ts';
import type { ConnectionRecord } from '../wcs-server/connection-record.ts';

const sessionId = z.string().min(1).max(128);
/** The SDK's REST client sends null for a filter it was not given. */
const findSchema = z.object({ sessionId: sessionId.nullish(), clientVersion: z.string().max(64).nullish(), appKey: z.string().max(256).nullish() }).strict();
const terminateSchema = z.object({ sessionId }).strict();
const dataSchema = z.object({
  sessionId, operationId: z.string().min(1).max(128).optional(), payload: z.unknown(),
  nodeId: z.string().max(256).optional(), appKey: z.string().max(256).optional(),
}).strict();

export function addConnectionRoutes(app: Hono, relay: RelayView): void {
  const { log } = relay.ctx;
  const records = (): ConnectionRecord[] => [...relay.wcs.sessions].map((s) => s.record);

  app.on(['GET', 'POST'], '/rest-api/connection/find_all', (c) => {
    const rows = records();
    if (rows.length === 0) throw apiError(404, 'not_found', 'no connections');
    return c.json(rows);
  });

  app.post('/rest-api/connection/find', async (c) => {
    const q = await readBody(c, findSchema, true);
    const rows = records().filter((r) => (q.sessionId == null || r.sessionId === q.sessionId)
      && (q.clientVersion == null || r.clientVersion === q.clientVersion) && (q.appKey == null || r.appKey === q.appKey));
    if (rows.length === 0) throw apiError(404, 'not_found', 'no connection matches');
    return c.json(rows);
  });

  app.post('/rest-api/connection/terminate', async (c) => {
    const { sessionId: id } = await readBody(c, terminateSchema);
    const session = relay.wcs.find(id);
    if (!session) throw apiError(404, 'not_found', `no connection ${id}`);
    session.close(1000, 'terminated by REST');
    log.info('rest.connection_terminated', { session: id, key: c.get('restKey').name });
    return c.json({ terminated: [id] });
  });

  app.post('/rest-api/data/send', async (c) => {
    const body = await readBody(c, dataSchema);
    const session = relay.wcs.find(body.sessionId);
    const sent = session?.deliverData({
      nodeId: relay.ctx.nodeId, appKey: session.record.appKey, ...body, operationId: body.operationId ?? randomUUID(),
    });
    if (!sent) throw apiError(404, 'not_found', `no connected session ${body.sessionId}`);
    return c.json({ sent: true });
  });
}
