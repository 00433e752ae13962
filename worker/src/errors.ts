/** The edge's one error renderer: every failure leaves as `{ error, message }` JSON with its status. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** An HTTPException whose response already is the JSON error body. */
export function apiError(status: ContentfulStatusCode, error: string, message: string): HTTPException {
  return new HTTPException(status, { message, res: Response.json({ error, message }, { status }) });
}

const CODES: Record<number, string> = {
  400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed',
  409: 'conflict', 500: 'internal_error', 502: 'bad_gateway', 503: 'unavailable',
};

export function renderError(err: Error, c: Context): Response {
  if (err instanceof HTTPException) {
    const res = err.getResponse();
    if (res.headers.get('content-type')?.includes('application/json')) return res;
    // Hono's own exceptions (malformed JSON, body limit) come as text: give them our shape.
    return c.json({ error: CODES[err.status] ?? 'error', message: err.message || 'request failed' }, err.status as ContentfulStatusCode);
  }
  console.error(JSON.stringify({ event: 'edge.unhandled_error', path: c.req.path, message: err.message }));
  return c.json({ error: 'internal_error', message: err.message }, 500);
}
