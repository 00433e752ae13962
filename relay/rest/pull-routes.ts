/** WCS's pull API on the relay: /rest-api/pull/pull, /find_all, /terminate (same bodies and codes). */
import type { Hono } from 'hono';
import { z } from 'zod';
import type { Relay } from '../relay.ts';
import type { Pull } from '../pull/pull.ts';
import { PullRefusedError } from '../pull/pulls.ts';
import { apiError } from './errors.ts';
import { readBody } from './body.ts';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const name = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters')
  .refine((v) => v.trim().length > 0, 'must not be blank')
  .refine((v) => !CONTROL.test(v), 'must not contain control characters');

const pullSchema = z.object({
  uri: z.string().min(1, 'must not be empty').max(2048),
  remoteStreamName: name,
  localStreamName: name,
});

const filterSchema = z.object({
  uri: z.string().max(2048).optional(),
  localStreamName: name.optional(),
  remoteStreamName: name.optional(),
}).refine((f) => f.uri !== undefined || f.localStreamName !== undefined || f.remoteStreamName !== undefined,
  { message: 'give uri, localStreamName or remoteStreamName' });

export function pullRecord(p: Pull) {
  const tee = p.stream.tee;
  const seconds = Math.max(1, (Date.now() - p.createdAt) / 1000);
  return {
    localMediaSessionId: p.localMediaSessionId,
    remoteMediaSessionId: p.remoteMediaSessionId,
    localStreamName: p.spec.localStreamName,
    remoteStreamName: p.spec.remoteStreamName,
    uri: p.spec.uri,
    status: p.state,
    info: p.info,
    attempts: p.attempts,
    since: new Date(p.since).toISOString(),
    lastError: p.lastError,
    videoCodec: p.stream.codecs.video?.name ?? null,
    audioCodec: p.stream.codecs.audio?.name.toLowerCase() ?? null,
    bitrates: { averageInKbps: Math.round((tee.bytesIn * 8) / seconds / 1000), bytesIn: tee.bytesIn },
    players: p.stream.members.size,
  };
}

export function addPullRoutes(app: Hono, relay: Relay): void {
  const { log } = relay.ctx;

  app.post('/rest-api/pull/pull', async (c) => {
    const spec = await readBody(c, pullSchema);
    try {
      const pull = await relay.pulls.create(spec);
      return c.json(pullRecord(pull));
    } catch (err) {
      if (err instanceof PullRefusedError) {
        log.warn('rest.pull_refused', { status: err.status, reason: err.message, localStreamName: spec.localStreamName });
        throw apiError(err.status, err.code, err.message);
      }
      throw err;
    }
  });

  app.on(['GET', 'POST'], '/rest-api/pull/find_all', (c) => {
    const pulls = relay.pulls.all();
    if (pulls.length === 0) throw apiError(404, 'not_found', 'no pulls');
    return c.json(pulls.map(pullRecord));
  });

  app.post('/rest-api/pull/terminate', async (c) => {
    const filter = await readBody(c, filterSchema);
    const ended = await relay.pulls.terminate(filter, 'Stopped by rest /terminate');
    if (ended.length === 0) throw apiError(404, 'not_found', 'no pull matches');
    log.info('rest.pull_terminated', { pulls: ended.map((p) => p.localMediaSessionId) });
    return c.json(ended.map(pullRecord));
  });
}
