/**
 * Relays that join the edge by themselves (a CDN): the bodies of join, heartbeat and leave, one definition for the
 * relay that sends them (relay/edge-link/) and the edge that checks them (worker/src/members.ts), and the OpenAPI
 * document. A relay joins with the edge's join token and gets a credential of its own, which it then uses both ways:
 * the edge calls the relay's REST with it, the relay heartbeats with it.
 */
import { z } from '@hono/zod-openapi';

export const relayId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits and . _ - only, 1 to 64 of them');

const httpUrl = z.string().max(2048)
  .refine((v) => { try { return ['http:', 'https:'].includes(new URL(v).protocol); } catch { return false; } }, 'must be an http:// or https:// URL');

export const RelayLoad = z.object({
  viewers: z.number().int().min(0).openapi({ description: 'SDK players, viewer-page sessions, WHEP and HLS viewers now' }),
  pulls: z.number().int().min(0).openapi({ description: 'Pulls it runs now' }),
  cpu: z.number().min(0).openapi({ description: 'CPU used since the last heartbeat, % of one core (may pass 100 on several)' }),
  egressBps: z.number().min(0).openapi({ description: 'Bytes per second sent since the last heartbeat' }),
  streams: z.record(z.string().max(256), z.object({ viewers: z.number().int().min(0), playing: z.boolean() })).optional()
    .openapi({ description: 'Each pulled stream it holds: its viewers, and whether it plays (the edge tears idle copies down and re-parents stalled ones)' }),
}).openapi('RelayLoad');
export type RelayLoad = z.infer<typeof RelayLoad>;

export const JoinRequest = z.object({
  id: relayId.openapi({ example: 'fra-1' }),
  url: httpUrl.openapi({ example: 'https://fra-1.example.com:8444', description: 'Its REST and Websocket URL as the edge and viewers reach it' }),
  hls: httpUrl.optional().openapi({ description: 'Its HLS URL (SIPHON_HLS_PORT), if it serves HLS' }),
  region: z.string().max(64).default('').openapi({ example: 'eu-central', description: 'A label: viewers and pulls stay in their region first' }),
  capacity: z.number().int().min(1).optional().openapi({ description: 'Viewers it is meant to serve (SIPHON_MAX_VIEWERS)' }),
}).openapi('JoinRequest');
export type JoinRequest = z.infer<typeof JoinRequest>;

export const JoinAnswer = z.object({
  id: relayId,
  credential: z.string().openapi({ description: 'Its own bearer credential: the edge calls its REST with it, it sends heartbeats with it' }),
  heartbeatSeconds: z.number().int().min(1),
  expireSeconds: z.number().int().min(1).openapi({ description: 'Without a heartbeat for this long the edge counts it gone' }),
}).openapi('JoinAnswer');
export type JoinAnswer = z.infer<typeof JoinAnswer>;

export const HeartbeatRequest = z.object({ id: relayId, load: RelayLoad }).openapi('HeartbeatRequest');
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>;

export const HeartbeatAnswer = z.object({
  state: z.enum(['active', 'draining']),
  credential: z.string().optional().openapi({ description: 'A rotated credential: use it from now on (the old one works until a heartbeat comes with this one)' }),
  returned: z.boolean().optional().openapi({ description: 'It had been counted gone: the edge fences it now (stops the pulls moved away meanwhile)' }),
  drop: z.array(z.string()).optional().openapi({ description: 'On-demand copies idle past the edge\'s IDLE_SECONDS: stop these pulls' }),
}).openapi('HeartbeatAnswer');
export type HeartbeatAnswer = z.infer<typeof HeartbeatAnswer>;

export const LeaveRequest = z.object({ id: relayId }).openapi('LeaveRequest');
export const DemandRequest = z.object({ id: relayId, stream: z.string().min(1).max(256) }).openapi('DemandRequest');
export const DemandAnswer = z.object({ stream: z.string(), relay: relayId, parent: z.string().nullable().openapi({ description: 'The relay it pulls from; null when it already held the stream as a replica' }) })
  .openapi('DemandAnswer');
export type DemandAnswer = z.infer<typeof DemandAnswer>;
export const DrainRequest = z.object({ relay: relayId }).openapi('DrainRequest');
export const RotateRequest = z.object({ relay: relayId }).openapi('RotateRequest');

export const DrainResult = z.object({
  relay: relayId,
  moved: z.array(z.object({ localStreamName: z.string(), to: z.string() })),
  failed: z.array(z.object({ localStreamName: z.string(), reason: z.string() })),
  dropped: z.array(z.string()).optional().openapi({ description: 'On-demand copies stopped there: their viewers come back through the edge, the copies they fed re-parented' }),
}).openapi('DrainResult');
export type DrainResult = z.infer<typeof DrainResult>;

export const MemberRecord = z.object({
  id: relayId, url: z.string(), hls: z.string().nullable(), region: z.string(), capacity: z.number().nullable(),
  state: z.enum(['active', 'draining', 'gone', 'static']),
  joined: z.string().nullable(), lastHeartbeat: z.string().nullable(), load: RelayLoad.nullable(),
}).openapi('MemberRecord');
export type MemberRecord = z.infer<typeof MemberRecord>;
