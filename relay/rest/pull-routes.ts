/** WCS's pull API on the relay: /rest-api/pull/pull, /find_all, /terminate (same bodies and codes). */
import type { Hono } from 'hono';
import { PullRequest, TerminateRequest, type RelayPullRecord } from '../../contract/pull.ts';
import type { RelayView } from './relay-view.ts';
import type { Pull } from '../sources/pull/pull.ts';
import { PullRefusedError } from '../sources/pull/pulls.ts';
import { apiError } from '../../contract/error-body.ts';
import { readBody } from './body.ts';

export function pullRecord(p: Pull): RelayPullRecord {
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
    players: p.stream.players.length,
  };
}

export function addPullRoutes(app: Hono, relay: RelayView): void {
  const { log } = relay.ctx;

  app.post('/rest-api/pull/pull', async (c) => {
    const spec = await readBody(c, PullRequest);
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
    const filter = await readBody(c, TerminateRequest);
    const ended = await relay.pulls.terminate(filter, 'Stopped by rest /terminate');
    if (ended.length === 0) throw apiError(404, 'not_found', 'no pull matches');
    log.info('rest.pull_terminated', { pulls: ended.map((p) => p.localMediaSessionId) });
    return c.json(ended.map(pullRecord));
  });
}
