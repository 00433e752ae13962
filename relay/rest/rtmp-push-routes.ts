/**
 * WCS's RTMP push REST API: `/rest-api/push/startup {streamName, rtmpUrl, rtmpTransponderFullUrl?}`, `/push/find
 * {streamName?, rtmpUrl?}`, `/push/find_all`, `/push/terminate {mediaSessionId}`; the bodies of WCS's REST client
 * (flashphoner-rest-api.js). Records show the target with its stream key masked.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { apiError } from '../../contract/error-body.ts';
import { streamName } from '../../contract/pull.ts';
import { readBody } from './body.ts';
import { PushRefusedError, RtmpPushes } from '../outputs/rtmp/rtmp-pushes.ts';
import { RtmpTargetError } from '../outputs/rtmp/rtmp-target.ts';

const startupSchema = z.object({
  streamName, rtmpUrl: z.string().min(1).max(2048), rtmpTransponderFullUrl: z.boolean().optional(),
}).passthrough();
const findSchema = z.object({ streamName: z.string().max(256).optional(), rtmpUrl: z.string().max(2048).optional() }).passthrough();
const terminateSchema = z.object({ mediaSessionId: z.string().min(1).max(128) }).passthrough();

export function addPushRoutes(app: Hono, pushes: RtmpPushes): void {
  app.post('/rest-api/push/startup', async (c) => {
    const b = await readBody(c, startupSchema);
    try {
      return c.json(RtmpPushes.record(await pushes.startup(b.streamName, b.rtmpUrl, b.rtmpTransponderFullUrl === true)));
    } catch (err) {
      if (err instanceof RtmpTargetError) throw apiError(400, 'bad_request', err.message);
      if (err instanceof PushRefusedError) throw apiError(err.status, err.status === 404 ? 'not_found' : 'conflict', err.message);
      throw err;
    }
  });
  const list = (rows: ReturnType<typeof RtmpPushes.record>[]) => {
    if (rows.length === 0) throw apiError(404, 'not_found', 'no push matches');
    return rows;
  };
  app.post('/rest-api/push/find', async (c) => c.json(list(pushes.find(await readBody(c, findSchema, true)).map(RtmpPushes.record))));
  app.on(['GET', 'POST'], '/rest-api/push/find_all', (c) => c.json(list(pushes.all().map(RtmpPushes.record))));
  app.post('/rest-api/push/terminate', async (c) => {
    const { mediaSessionId } = await readBody(c, terminateSchema);
    if (!(await pushes.terminate(mediaSessionId))) throw apiError(404, 'not_found', `no push ${mediaSessionId}`);
    return c.json({ terminated: [mediaSessionId] });
  });
}
