/** Route definitions: the OpenAPI document and the request validation both come from these. */
import { createRoute } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import { PullRecord, PullRequest, TerminateRequest } from '../../contract/pull.ts';
import { ErrorBody } from '../../contract/error-body.ts';
import { RevokeRequest } from '../../contract/access.ts';

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
