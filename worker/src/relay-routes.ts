/**
 * The relays' own routes (members.ts, drain.ts, copies.ts): join, heartbeat and leave, with the join token and the
 * relay's credential; drain, rotate and the relay list, with an operator's key (app.ts puts requireKey in front).
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { demandRoute, drainRoute, heartbeatRoute, joinRoute, leaveRoute, membersRoute, rotateRoute } from './routes.ts';
import { authenticateMember, heartbeat, join, listMembers, relaysOf, rotate } from './members.ts';
import { demandCopy, reparentStalled } from './copies.ts';
import { drain, leave } from './drain.ts';
import { fenceRelay } from './reconcile.ts';
import { log } from './log.ts';

export function addRelayRoutes(app: OpenAPIHono<{ Bindings: Env }>): void {
  app.openapi(joinRoute, async (c) => c.json(await join(c.env, c.req.header('authorization'), c.req.valid('json')), 200));
  app.openapi(heartbeatRoute, async (c) => {
    const { id, load } = c.req.valid('json');
    const answer = await heartbeat(c.env, c.req.header('authorization'), c.req.valid('json'));
    if (Object.values(load.streams ?? {}).some((stream) => !stream.playing)) {
      c.executionCtx.waitUntil(relaysOf(c.env).then((relays) => reparentStalled(c.env, new Map(relays.map((r) => [r.id, r])), id, load))
        .catch((err: Error) => log('edge.reparent_failed', { relay: id, reason: err.message })));
    }
    if (answer.returned) {
      c.executionCtx.waitUntil(fenceRelay(c.env, id).then((fenced) => log('edge.relay_fenced_on_return', { relay: id, fenced }),
        (err: Error) => log('edge.fence_failed', { relay: id, reason: err.message })));
    }
    return c.json(answer, 200);
  });
  app.openapi(leaveRoute, async (c) => {
    const { id } = c.req.valid('json');
    await authenticateMember(c.env, id, c.req.header('authorization'));
    return c.json(await leave(c.env, id), 200);
  });
  app.openapi(demandRoute, async (c) => {
    const { id, stream } = c.req.valid('json');
    await authenticateMember(c.env, id, c.req.header('authorization'));
    return c.json(await demandCopy(c.env, id, stream), 200);
  });
  app.openapi(drainRoute, async (c) => c.json(await drain(c.env, c.req.valid('json').relay, c.get('restKey').name), 200));
  app.openapi(rotateRoute, async (c) => c.json(await rotate(c.env, c.req.valid('json').relay), 200));
  app.openapi(membersRoute, async (c) => c.json(await listMembers(c.env), 200));
}
