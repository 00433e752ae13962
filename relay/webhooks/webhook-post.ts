/** The webhooks' one boundary: an HTTP POST to the operator's URL (the sender's unit tests fake it). */

export interface WebhookRequest { url: string; headers: Record<string, string>; body: string }

/** The response's status; rejects when there is none (unreachable, timed out). */
export type PostWebhook = (req: WebhookRequest) => Promise<number>;

export function fetchPost(timeoutMs: number): PostWebhook {
  return async ({ url, headers, body }) => {
    let res: Response;
    try {
      // A redirect is answered as what it is (not followed): the operator's URL is meant to take the POST itself.
      res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new Error(reasonOf(err as Error, timeoutMs));
    }
    await res.body?.cancel();
    return res.status;
  };
}

/** fetch's "fetch failed" says nothing; its cause (ECONNREFUSED, ENOTFOUND…) does. */
function reasonOf(err: Error, timeoutMs: number): string {
  if (err.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const cause = err.cause as { code?: string; message?: string } | undefined;
  return cause ? `${err.message}: ${cause.code ?? cause.message}` : err.message;
}
