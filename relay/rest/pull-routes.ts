/**
 * WCS's pull API on the relay: /rest-api/pull/pull, /push, /find_all, /terminate (same bodies and codes). As in
 * WCS, find_all lists pulls and pushes together and terminate ends whatever matches its filter.
 */
import type { Hono } from 'hono';
import { PullRequest, PushRequest, TerminateRequest, type RelayPullRecord } from '../../contract/pull.ts';
import type { RelayView } from './relay-view.ts';
import type { Pull } from '../sources/pull/pull.ts';
import { PullRefusedError } from '../wcs/origins.ts';
import type { WcsPush } from '../outputs/wcs-push/wcs-push.ts';
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
    direction: 'pull',
    epoch: p.spec.epoch ?? null,
    link: p.link,
  };
}

export function pushRecord(p: WcsPush): RelayPullRecord {
  const stream = p.deps.registry.get(p.spec.localStreamName);
  const seconds = Math.max(1, (Date.now() - p.since) / 1000);
  const bytesOut = p.bytesOut;
  return {
    localMediaSessionId: p.id,
    remoteMediaSessionId: p.remoteMediaSessionId,
    localStreamName: p.spec.localStreamName,
    remoteStreamName: p.spec.remoteStreamName,
    uri: p.spec.uri,
    status: p.pushState,
    info: p.info,
    attempts: p.attempts,
    since: new Date(p.since).toISOString(),
    lastError: p.lastError,
    videoCodec: stream?.codecs.video?.name ?? null,
    audioCodec: stream?.codecs.audio?.name.toLowerCase() ?? null,
    bitrates: { averageInKbps: 0, bytesIn: 0, averageOutKbps: p.pushState === 'PUBLISHING' ? Math.round((bytesOut * 8) / seconds / 1000) : 0, bytesOut },
    players: 0,
    direction: 'push',
  };
}

/** A refusal of the pull agent's becomes the REST answer it names. */
async function orRefusal<T>(c: { req: { path: string } }, log: RelayView['ctx']['log'], name: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof PullRefusedError)) throw err;
    log.warn('rest.pull_refused', { path: c.req.path, status: err.status, reason: err.message, localStreamName: name });
    throw apiError(err.status, err.code, err.message);
  }
}

export function addPullRoutes(app: Hono, relay: RelayView): void {
  const { log } = relay.ctx;

  app.post('/rest-api/pull/pull', async (c) => {
    const spec = await readBody(c, PullRequest);
    return c.json(pullRecord(await orRefusal(c, log, spec.localStreamName, () => relay.pulls.create(spec))));
  });

  app.post('/rest-api/pull/push', async (c) => {
    const spec = await readBody(c, PushRequest);
    return c.json(pushRecord(await orRefusal(c, log, spec.localStreamName, () => relay.wcsPushes.create(spec))));
  });

  app.on(['GET', 'POST'], '/rest-api/pull/find_all', (c) => {
    const records = [...relay.pulls.all().map(pullRecord), ...relay.wcsPushes.all().map(pushRecord)];
    if (records.length === 0) throw apiError(404, 'not_found', 'no pulls');
    return c.json(records);
  });

  app.post('/rest-api/pull/terminate', async (c) => {
    const filter = await readBody(c, TerminateRequest);
    const [pulls, pushes] = await Promise.all([
      relay.pulls.terminate(filter, 'Stopped by rest /terminate'), relay.wcsPushes.terminate(filter, 'Stopped by rest /terminate')]);
    if (pulls.length + pushes.length === 0) throw apiError(404, 'not_found', 'no pull or push matches');
    log.info('rest.pull_terminated', { pulls: pulls.map((p) => p.localMediaSessionId), pushes: pushes.map((p) => p.id), key: c.get('restKey').name });
    return c.json([...pulls.map(pullRecord), ...pushes.map(pushRecord)]);
  });
}
