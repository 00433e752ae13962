/** Route definitions: the OpenAPI document and the request validation both come from these. */
import { createRoute } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import { PullRecord, PullRequest, TerminateRequest } from '../../contract/pull.ts';
import { ErrorBody } from '../../contract/error-body.ts';
import { RevokeRequest } from '../../contract/access.ts';
import { DemandAnswer, DemandRequest, DrainRequest, DrainResult, HeartbeatAnswer, HeartbeatRequest, JoinAnswer, JoinRequest, LeaveRequest, MemberRecord, RotateRequest } from '../../contract/membership.ts';

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const error = (description: string) => json(ErrorBody, description);
const security: Record<string, string[]>[] = [{ bearer: [] }, { basic: [] }];

export const pullRoute = createRoute({
  method: 'post', path: '/rest-api/pull/pull', summary: 'Pull a stream from a WCS server into a relay', security,
  request: { body: { ...json(PullRequest, 'What to pull and the local name'), required: true } },
  responses: {
    200: json(PullRecord, 'Accepted: the relay runs the pull by itself'),
    400: error('Bad input: missing or non-string fields, bad names, a uri that is not ws://, wss:// (WCS) or http://, https:// (WHEP), body over 64 KiB'),
    401: error('Missing or wrong API key'),
    403: error('The key lacks the "pull" scope, or the relay does not allow this origin'),
    409: error('localStreamName is already pulled'),
    502: error('The relay failed'),
    503: error('No healthy relay, or the chosen relay is unreachable'),
  },
});

const findAll = (method: 'get' | 'post') => createRoute({
  method, path: '/rest-api/pull/find_all', summary: 'All recorded pulls with their live status on the relays', security,
  responses: {
    200: json(z.array(PullRecord), 'The pulls'),
    401: error('Missing or wrong API key'),
    403: error('The key lacks the route\'s scope (stat for find_all, terminate for terminate)'),
    404: error('No pulls'),
  },
});
export const findAllPost = findAll('post');
export const findAllGet = findAll('get');

export const terminateRoute = createRoute({
  method: 'post', path: '/rest-api/pull/terminate', summary: 'Stop every pull matching the given fields', security,
  request: { body: { ...json(TerminateRequest, 'At least one of uri, localStreamName, remoteStreamName'), required: true } },
  responses: {
    200: json(z.array(PullRecord), 'The pulls stopped (record and name claim removed)'),
    400: error('Bad input'),
    401: error('Missing or wrong API key'),
    403: error('The key lacks the route\'s scope (stat for find_all, terminate for terminate)'),
    404: error('No pull matches'),
    502: error('The relay failed'),
    503: error('The relay is unreachable'),
  },
});

const RevokeResult = z.object({
  revoked: RevokeRequest, until: z.string(),
  relays: z.array(z.object({ relay: z.string(), ended: z.number().optional(), error: z.string().optional() })),
}).openapi('RevokeResult');

export const revokeRoute = createRoute({
  method: 'post', path: '/rest-api/access/revoke', security,
  summary: 'End the sessions of a subject, a token or a stream on every relay, and refuse those tokens from now on',
  request: { body: { ...json(RevokeRequest, 'Exactly one of sub, jti, stream'), required: true } },
  responses: {
    200: json(RevokeResult, 'Kept by the edge and sent to every relay: what each ended, or why it could not be told (it gets it at the next reconciliation)'),
    400: error('Bad input: none or more than one of sub, jti, stream; until in the past'),
    401: error('Missing or wrong API key'),
    403: error('The key lacks the access scope'),
  },
});

const relayRoute = <B extends z.ZodType, A extends z.ZodType>(path: string, summary: string, body: B, answer: A, errors: Record<number, string>,
  secured: Record<string, string[]>[] = security) => createRoute({
  method: 'post', path, summary, security: secured,
  request: { body: { ...json(body, summary), required: true } },
  responses: { 200: json(answer, 'Done'), ...Object.fromEntries(Object.entries(errors).map(([code, text]) => [code, error(text)])) },
});
const bearerOnly = [{ bearer: [] }];

export const joinRoute = relayRoute('/rest-api/relay/join', 'A relay joins (with the join token) and gets its own credential', JoinRequest, JoinAnswer,
  { 400: 'Bad input', 401: 'Missing or wrong join token', 409: 'The id is one of RELAYS', 503: 'This edge has no RELAY_JOIN_TOKEN: no relay can join' }, bearerOnly);
export const heartbeatRoute = relayRoute('/rest-api/relay/heartbeat', 'A member says it is alive, with its load (with its credential)', HeartbeatRequest, HeartbeatAnswer,
  { 400: 'Bad input', 401: 'No credential', 404: 'Not a member with this credential: join again' }, bearerOnly);
export const leaveRoute = relayRoute('/rest-api/relay/leave', 'A member leaves: drained, then no longer a member (with its credential)', LeaveRequest, DrainResult,
  { 400: 'Bad input', 401: 'Not this relay\'s credential' }, bearerOnly);
export const demandRoute = relayRoute('/rest-api/relay/demand', 'A member asks for a copy of a stream on itself (a viewer asked it for one it lacks; with its credential)', DemandRequest, DemandAnswer,
  { 400: 'Bad input', 401: 'Not this relay\'s credential', 404: 'No pull of that name', 409: 'The relay is draining', 503: 'No copy has room for another child' }, bearerOnly);
export const drainRoute = relayRoute('/rest-api/relay/drain', 'Move a member\'s pulls and new viewers elsewhere (before it shuts down)', DrainRequest, DrainResult,
  { 400: 'Bad input', 401: 'Missing or wrong API key', 403: 'The key lacks the relays scope', 404: 'No such member' });
export const rotateRoute = relayRoute('/rest-api/relay/rotate', 'Give a member a new credential (it takes it with its next heartbeat)', RotateRequest,
  z.object({ relay: z.string(), rotating: z.literal(true) }), { 400: 'Bad input', 401: 'Missing or wrong API key', 403: 'The key lacks the relays scope', 404: 'No such member' });
export const membersRoute = createRoute({
  method: 'get', path: '/rest-api/relay/find_all', summary: 'The relays: RELAYS and the members, with state and last load', security,
  responses: { 200: json(z.array(MemberRecord), 'The relays'), 401: error('Missing or wrong API key'), 403: error('The key lacks the stat scope') },
});
