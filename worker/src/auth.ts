/** The edge's API token (the API_TOKEN secret): Hono's bearerAuth through the guard every Siphon edge uses. */
import { bearerGuard } from '../../contract/bearer.ts';

export const requireToken = bearerGuard((c) => (c.env as Env).API_TOKEN);
