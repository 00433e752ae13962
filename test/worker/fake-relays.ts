/**
 * The one boundary the workerd tests fake: relays, answering the worker's outbound fetches (this runs
 * in Node as miniflare's outboundService). Hosts name the behaviour:
 *   ok.relay      healthy; accepts pulls and remembers them (find_all / terminate)
 *   other.relay   same, a second healthy relay
 *   conflict.relay healthy; answers pulls with 409
 *   broken.relay  healthy; answers pulls with 500
 *   garbled.relay healthy; starts the pull but answers 200 with a body that is not a pull record
 *   sick.relay    /health answers 503
 * Unreachable relays (flaky.relay: health passes but the pull cannot connect; down.relay: nothing
 * connects) are made in the test with a fetch spy, because miniflare turns a failing outboundService
 * into a 500 while real workerd throws "Network connection lost.".
 * `POST /rest-api/access/revoke` is remembered (each body once, `/__revoked` lists them) and ends one session.
 * `POST http://<host>/__forget` drops what a relay remembers (a relay restart); `/metrics` counts players:
 * 5 on ok.relay, 1 elsewhere; full.relay and roomy.relay also state a WebRTC capacity, full and not; `/?action=stat&format=json` 3 connections, 2 of them WebSocket.
 * `POST http://<host>/__credential` with a body: the relay also accepts that bearer credential (a member's, from its join).
 * Records are built through the contract's schema, so the fake serves what a real relay serves.
 */
import { RelayPullRecord } from '../../contract/pull.ts';

const remembered = new Map<string, Map<string, Record<string, unknown>>>();
const revoked = new Map<string, Map<string, unknown>>();
const credentials = new Map<string, string>();
const authorized = (request: Request, host: string) => [`Bearer token-${host}`, `Bearer ${credentials.get(host)}`].includes(request.headers.get('authorization') ?? '');

export async function fakeRelays(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const host = url.hostname;
  const pulls = remembered.get(host) ?? new Map<string, Record<string, unknown>>();
  remembered.set(host, pulls);
  if (url.pathname === '/health') return Response.json({ status: host === 'sick.relay' ? 'degraded' : 'ok' }, { status: host === 'sick.relay' ? 503 : 200 });
  const revocations = revoked.get(host) ?? new Map<string, unknown>();
  revoked.set(host, revocations);
  if (url.pathname === '/__credential') { credentials.set(host, await request.text()); return new Response(null, { status: 204 }); }
  if (url.pathname === '/__forget') { pulls.clear(); revocations.clear(); return new Response(null, { status: 204 }); }
  if (url.pathname === '/__revoked') return Response.json([...revocations.values()]);
  if (url.pathname === '/rest-api/access/revoke') {
    if (!authorized(request, host)) return Response.json({ error: 'unauthorized', message: 'no' }, { status: 401 });
    const body = await request.json() as Record<string, string>;
    const key = JSON.stringify([body.sub, body.jti, body.stream, body.at]);
    const fresh = !revocations.has(key);
    revocations.set(key, body);
    return Response.json({ revoked: body, until: body.until, ended: fresh ? 1 : 0 });
  }
  if (url.pathname === '/__calls') return Response.json([...pulls.keys()]);
  if (url.pathname === '/' && url.searchParams.get('action') === 'stat') {
    return Response.json({ connections_stats: { connections: 3, connections_websocket: 2 } });
  }
  if (url.pathname === '/metrics') {
    // full.relay and roomy.relay state their WebRTC capacity (SIPHON_MAX_VIEWERS): 2 of 2 taken, 3 of 10.
    const capacity = host === 'full.relay' ? 'siphon_viewer_capacity 2\nsiphon_webrtc_viewers 2\n'
      : host === 'roomy.relay' ? 'siphon_viewer_capacity 10\nsiphon_webrtc_viewers 3\n' : '';
    return new Response(`siphon_players ${host === 'ok.relay' ? 5 : 1}\nsiphon_viewers 0\n${capacity}`);
  }
  if (url.pathname === '/rest-api/pull/pull') {
    if (host === 'conflict.relay') return Response.json({ error: 'conflict', message: 'localStreamName "x" is already a stream or a pull on this relay' }, { status: 409 });
    if (host === 'broken.relay') return Response.json({ error: 'internal_error', message: 'boom' }, { status: 500 });
    if (host === 'garbled.relay') { // starts the pull, then answers a record the edge cannot read
      const { localStreamName } = await request.json() as Record<string, string>;
      pulls.set(localStreamName!, { localStreamName });
      return Response.json({ localStreamName, status: 42 });
    }
    const body = await request.json() as Record<string, string> & { epoch?: number };
    if (!authorized(request, host)) return Response.json({ error: 'unauthorized', message: 'no' }, { status: 401 });
    pulls.set(body.localStreamName!, RelayPullRecord.parse({
      uri: body.uri, remoteStreamName: body.remoteStreamName, localStreamName: body.localStreamName, status: 'PLAYING', info: '',
      attempts: 1, lastError: null, localMediaSessionId: `l-${body.localStreamName}`, remoteMediaSessionId: 'r',
      since: new Date().toISOString(), videoCodec: 'VP8', audioCodec: 'opus', bitrates: { averageInKbps: 0, bytesIn: 0 }, players: 0,
      direction: 'pull', epoch: body.epoch ?? null,
    }));
    return Response.json(pulls.get(body.localStreamName!));
  }
  if (url.pathname === '/rest-api/pull/find_all') {
    return pulls.size ? Response.json([...pulls.values()]) : Response.json({ error: 'not_found', message: 'no pulls' }, { status: 404 });
  }
  if (url.pathname === '/rest-api/pull/terminate') {
    const body = await request.json() as Record<string, string>;
    return pulls.delete(body.localStreamName!) ? Response.json([]) : Response.json({ error: 'not_found', message: 'none' }, { status: 404 });
  }
  return new Response('unexpected', { status: 599 });
}
