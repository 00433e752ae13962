/** Reads a JSON request body against a zod schema; anything else is a 400 with the reason. */
import type { Context } from 'hono';
import type { z } from 'zod';
import { apiError } from '../../contract/error-body.ts';

export async function readBody<T extends z.ZodType>(c: Context, schema: T, allowEmpty = false): Promise<z.infer<T>> {
  const text = await c.req.text();
  if (text.trim() === '') {
    if (allowEmpty) return schema.parse({});
    throw apiError(400, 'bad_request', 'request body must be a JSON object');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw apiError(400, 'bad_request', 'request body is not valid JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw apiError(400, 'bad_request', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
