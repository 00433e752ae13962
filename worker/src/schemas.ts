/** Request and response shapes of the edge's pull API; the OpenAPI document is generated from these. */
import { z } from '@hono/zod-openapi';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const streamName = z.string()
  .min(1, 'must not be empty').max(256, 'must be at most 256 characters')
  .refine((v) => v.trim().length > 0, 'must not be blank')
  .refine((v) => !CONTROL.test(v), 'must not contain control characters');

const wsUri = z.string().max(2048)
  .refine((v) => { try { return ['ws:', 'wss:'].includes(new URL(v).protocol); } catch { return false; } },
    'must be a ws:// or wss:// URL');

export const PullRequest = z.object({
  uri: wsUri.openapi({ example: 'wss://wcs.example.com:8443' }),
  remoteStreamName: streamName.openapi({ example: 'stream1' }),
  localStreamName: streamName.openapi({ example: 'stream1' }),
}).openapi('PullRequest');

export const TerminateRequest = z.object({
  uri: z.string().max(2048).optional(),
  localStreamName: streamName.optional(),
  remoteStreamName: streamName.optional(),
}).refine((b) => b.uri !== undefined || b.localStreamName !== undefined || b.remoteStreamName !== undefined,
  { message: 'give uri, localStreamName or remoteStreamName' }).openapi('TerminateRequest');

export const PullRecord = z.object({
  localMediaSessionId: z.string().nullable(),
  remoteMediaSessionId: z.string().nullable(),
  localStreamName: z.string(),
  remoteStreamName: z.string(),
  uri: z.string(),
  status: z.string().openapi({ description: 'NEW, PENDING, PLAYING, FAILED from the relay; LOST when the relay no longer has the pull; UNKNOWN when the relay cannot be reached' }),
  info: z.string(),
  relay: z.string(),
  created: z.string(),
  attempts: z.number().optional(),
  lastError: z.string().nullable().optional(),
}).openapi('PullRecord');

export const ErrorBody = z.object({
  error: z.string().openapi({ example: 'conflict' }),
  message: z.string().openapi({ example: 'localStreamName "stream1" is already pulled' }),
}).openapi('Error');

export type PullRequest = z.infer<typeof PullRequest>;
export type TerminateRequest = z.infer<typeof TerminateRequest>;
export type PullRecord = z.infer<typeof PullRecord>;
