/** Worker entry: the REST edge (fetch), reconciliation (cron), and the name-claims Durable Object. */
import { buildApp } from './app.ts';
import { reconcile } from './reconcile.ts';

export { EdgeState } from './edge-state.ts';

const app = buildApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    ctx.waitUntil(reconcile(env).then(() => undefined, (err: Error) => {
      console.error(JSON.stringify({ t: new Date().toISOString(), event: 'edge.reconcile_failed', message: err.message }));
    }));
  },
} satisfies ExportedHandler<Env>;
