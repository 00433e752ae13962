/** The one error renderer of the relay's HTTP edge: every failure is `{ error, message }` JSON. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '../log.ts';

export function apiError(status: ContentfulStatusCode, error: string, message: string): HTTPException {
  return new HTTPException(status, { res: new Response(JSON.stringify({ error, message }), {
    status, headers: { 'content-type': 'application/json' },
  }) });
}

export function renderError(log: Logger) {
  return (err: Error, c: Context): Response => {
    if (err instanceof HTTPException) {
      const res = err.getResponse();
      if (res.headers.get('content-type')?.includes('application/json')) return res;
      return c.json({ error: codeFor(err.status), message: err.message || res.statusText }, err.status as ContentfulStatusCode);
    }
    log.error('http.unhandled_error', { path: c.req.path, err });
    return c.json({ error: 'internal_error', message: err.message }, 500);
  };
}

function codeFor(status: number): string {
  return ({ 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed',
    409: 'conflict', 413: 'payload_too_large', 415: 'unsupported_media_type' } as Record<number, string>)[status] ?? 'error';
}
