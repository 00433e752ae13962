/**
 * The error body every HTTP edge of Siphon answers with, `{ error, message }`, and the one way to
 * raise and render it (Hono's HTTPException), shared by the edge and the relay.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from '@hono/zod-openapi';

export const ErrorBody = z.object({
  error: z.string().openapi({ example: 'conflict' }),
  message: z.string().openapi({ example: 'localStreamName "stream1" is already pulled' }),
}).openapi('Error');

export type ErrorBody = z.infer<typeof ErrorBody>;

/** An HTTPException whose response already is the JSON error body. */
export function apiError(status: ContentfulStatusCode, error: string, message: string, headers?: HeadersInit): HTTPException {
  return new HTTPException(status, { message, res: Response.json({ error, message } satisfies ErrorBody, { status, headers }) });
}

const CODES: Record<number, string> = {
  400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed',
  409: 'conflict', 413: 'payload_too_large', 415: 'unsupported_media_type', 500: 'internal_error', 502: 'bad_gateway',
  503: 'unavailable',
};

/** Hono's `onError`: our own errors pass as they are; Hono's text ones get our shape; anything else is a logged 500. */
export function errorRenderer(logUnhandled: (path: string, err: Error) => void) {
  return (err: Error, c: Context): Response => {
    if (err instanceof HTTPException) {
      const res = err.getResponse();
      if (res.headers.get('content-type')?.includes('application/json')) return res;
      return c.json({ error: CODES[err.status] ?? 'error', message: err.message || res.statusText || 'request failed' },
        err.status as ContentfulStatusCode);
    }
    logUnhandled(c.req.path, err);
    return c.json({ error: 'internal_error', message: err.message }, 500);
  };
}
