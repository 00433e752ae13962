/**
 * The pull API's bodies and records, one definition for the edge (worker/) and the relay (relay/): the
 * edge validates requests and parses the relay's answers with these, the relay validates the same
 * requests and serves records of exactly this shape, and the OpenAPI document is generated from them.
 */
import { z } from '@hono/zod-openapi';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export const streamName = z.string()
  .min(1, 'must not be empty').max(256, 'must be at most 256 characters')
  .refine((v) => v.trim().length > 0, 'must not be blank')
  .refine((v) => !CONTROL.test(v), 'must not contain control characters');

/** A WHEP endpoint (`http(s)://`) instead of a WCS server (`ws(s)://`): the origin is the URL itself, no stream name. */
export const isWhepUri = (v: string) => { try { return ['http:', 'https:'].includes(new URL(v).protocol); } catch { return false; } };

const originUri = z.string().min(1, 'must not be empty').max(2048)
  .refine((v) => { try { return ['ws:', 'wss:', 'http:', 'https:'].includes(new URL(v).protocol); } catch { return false; } },
    'must be a ws:// or wss:// URL (a WCS server) or an http:// or https:// URL (a WHEP endpoint)');

export const PullRequest = z.object({
  uri: originUri.openapi({ example: 'wss://wcs.example.com:8443', description: 'A WCS server (ws://, wss://) or a WHEP endpoint (http://, https://)' }),
  remoteStreamName: z.string().max(256).default('').openapi({ example: 'stream1', description: 'The stream on a WCS server; empty for a WHEP endpoint' }),
  localStreamName: streamName.openapi({ example: 'stream1' }),
  epoch: z.number().int().min(1).optional().openapi({ description: 'Set by the edge when it places the pull on a relay (it grows on every move); clients leave it out' }),
  replicas: z.number().int().min(1).max(16).optional().openapi({ description: 'The edge: on how many relays to run the pull (default 1, at most the relays configured); a relay ignores it' }),
}).superRefine((b, ctx) => {
  if (isWhepUri(b.uri) && b.remoteStreamName === '') return;
  const name = streamName.safeParse(b.remoteStreamName);
  for (const issue of name.success ? [] : name.error.issues) ctx.addIssue({ code: 'custom', path: ['remoteStreamName'], message: issue.message });
}).openapi('PullRequest');

export const TerminateRequest = z.object({
  uri: z.string().max(2048).optional(),
  localStreamName: streamName.optional(),
  remoteStreamName: streamName.optional(),
}).refine((b) => b.uri !== undefined || b.localStreamName !== undefined || b.remoteStreamName !== undefined,
  { message: 'give uri, localStreamName or remoteStreamName' }).openapi('TerminateRequest');

/** `/pull/push`: publish the local stream `localStreamName` on the WCS server at `uri` as `remoteStreamName`. */
export const PushRequest = z.object({
  uri: z.string().min(1, 'must not be empty').max(2048)
    .refine((v) => { try { return ['ws:', 'wss:'].includes(new URL(v).protocol); } catch { return false; } }, 'must be a ws:// or wss:// URL (a WCS server)')
    .openapi({ example: 'wss://wcs.example.com:8443' }),
  localStreamName: streamName.openapi({ example: 'stream1' }),
  remoteStreamName: streamName.openapi({ example: 'stream1' }),
}).openapi('PushRequest');

const PULL_STATUS = 'NEW, PENDING, PLAYING, FAILED (TERMINATED in a terminate answer)';

const count = (what: string) => z.number().int().nullable().openapi({ description: `${what}, over the pull's life (null: not known yet)` });

/**
 * A pull's link to its origin, from Janus's view of the WebRTC leg (Admin API handle_info) and the tee's view of what
 * came out of it; audio and video summed. Percentages cover the latest sample (~5 s); counts add up over reconnects.
 */
export const PullLink = z.object({
  rttMs: z.number().nullable().openapi({ description: 'Round trip to the origin (RTCP, or NACK → retransmission when RTCP gives none)' }),
  lossPct: z.number().nullable().openapi({ description: 'Packets lost on the leg before NACK repair, % of those expected' }),
  lossAfterRepairPct: z.number().nullable().openapi({ description: 'Packets still missing where the leg hands RTP to the relay (the tee), % of those expected' }),
  nacksSent: count('Packets the relay asked the origin to send again (NACKed)'),
  retransmissionsReceived: count('Retransmitted packets that arrived'),
  keyframeRequests: count('Keyframe requests (PLI) sent to the origin'),
  unrepairedGaps: count('Gaps Janus gave up repairing (null: this Janus does not report them)'),
  repairedLate: count('Repaired packets that came back after the playout buffer had let later ones go: passed on out of order (many: the playout delay is too short for this link)'),
  slowlinkEvents: z.number().int().openapi({ description: 'Janus `slowlink` events on the leg' }),
  updatedAt: z.string().nullable().openapi({ description: 'When these figures were sampled (ISO 8601); null before the first sample' }),
}).openapi('PullLink');

/**
 * What a relay answers for a pull. Parsing strips fields it does not know, so a relay upgraded before its
 * edge still works; the end-to-end test parses with `.strict()` to show both sides agree today.
 */
export const RelayPullRecord = z.object({
  localMediaSessionId: z.string(),
  remoteMediaSessionId: z.string().nullable(),
  localStreamName: z.string(),
  remoteStreamName: z.string(),
  uri: z.string(),
  status: z.string().openapi({ description: PULL_STATUS }),
  info: z.string(),
  attempts: z.number().int(),
  since: z.string(),
  lastError: z.string().nullable(),
  videoCodec: z.string().nullable(),
  audioCodec: z.string().nullable(),
  bitrates: z.object({ averageInKbps: z.number(), bytesIn: z.number(), averageOutKbps: z.number().optional(), bytesOut: z.number().optional() }),
  players: z.number().int(),
  /** WCS lists `/pull/push`es with the pulls; a push's status is PUBLISHING where a pull's is PLAYING. */
  direction: z.enum(['pull', 'push']).optional(),
  /** The edge's placement epoch the pull was started with (null: not placed by an edge). */
  epoch: z.number().int().nullable().optional(),
  /** Siphon's addition: the pull's link quality (pulls only). */
  link: PullLink.optional(),
}).openapi('RelayPullRecord');

/** What the edge answers: its record (which relay, since when) merged with the relay's live view when it has one. */
export const PullRecord = RelayPullRecord.partial().extend({
  localMediaSessionId: z.string().nullable(),
  remoteMediaSessionId: z.string().nullable(),
  localStreamName: z.string(),
  remoteStreamName: z.string(),
  uri: z.string(),
  status: z.string().openapi({ description: `${PULL_STATUS} from the relay; LOST when the relay no longer has the pull; UNKNOWN when the relay cannot be reached` }),
  info: z.string(),
  relay: z.string().openapi({ description: 'The primary replica\'s relay' }),
  created: z.string(),
  replicas: z.array(z.object({ relay: z.string(), epoch: z.number().int(), status: z.string(), info: z.string(), children: z.array(z.string()).optional() })).optional()
    .openapi({ description: 'Every relay that runs the pull, with its live status and the copies it feeds' }),
  copies: z.array(z.object({ relay: z.string(), parent: z.string(), children: z.array(z.string()), epoch: z.number().int(), warm: z.boolean(), status: z.string(), info: z.string() })).optional()
    .openapi({ description: 'The edge: on-demand and warm copies (the CDN), each with the relay it pulls from and the copies it feeds' }),
}).openapi('PullRecord');

export type PullRequest = z.infer<typeof PullRequest>;
export type TerminateRequest = z.infer<typeof TerminateRequest>;
export type PushRequest = z.infer<typeof PushRequest>;
export type RelayPullRecord = z.infer<typeof RelayPullRecord>;
export type PullRecord = z.infer<typeof PullRecord>;
export type PullLink = z.infer<typeof PullLink>;
