/**
 * A WCS-style REST hook backend, as an operator's application would be: records every call (method, body, whether
 * its `Authorization: WCS <HMAC-MD5>` verifies) and answers as told per method: a status with the mirrored body
 * (plus extra fields, e.g. restClientConfig), a hang, or a body that is not JSON. Unit tests run it in-process;
 * end-to-end tests run it as its own process (hook-backend-process.ts), told what to do over `/_control/*`. It takes
 * the relay's webhooks too (at any path, e.g. `<url>/webhooks`): their Standard Webhooks headers are kept for the
 * test to verify.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HookCall { method: string; body: Record<string, unknown>; authorization?: string; signed: boolean; raw: string; at: number; webhook: Record<string, string> }
export type Behaviour = { status: number; extra?: Record<string, unknown> } | 'hang' | 'not-json';

export class HookBackend {
  readonly calls: HookCall[] = [];
  readonly behaviour = new Map<string, Behaviour>();
  private constructor(private readonly server: Server, readonly url: string, private readonly secret: string) {}

  static async start(options: { host?: string; port?: number; secret?: string } = {}): Promise<HookBackend> {
    let backend!: HookBackend;
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (d) => { raw += d; });
      req.on('end', () => backend.answer(req.url ?? '', req.headers, raw, res));
    });
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((r) => server.listen(options.port ?? 0, host, r));
    backend = new HookBackend(server, `http://${host}:${(server.address() as AddressInfo).port}/apps/EchoApp`, options.secret ?? '');
    return backend;
  }

  get port(): number { return (this.server.address() as AddressInfo).port; }

  of(method: string): HookCall[] { return this.calls.filter((c) => c.method === method); }

  private answer(url: string, headers: IncomingHttpHeaders, raw: string, res: import('node:http').ServerResponse): void {
    const authorization = headers.authorization;
    const webhook = Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith('webhook-')).map(([k, v]) => [k, String(v)]));
    const json = (status: number, value: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(value)); };
    if (url === '/_control/calls') return json(200, this.calls);
    if (url === '/_control/answer') {
      const { method, behaviour } = JSON.parse(raw) as { method: string; behaviour: Behaviour | null };
      if (behaviour === null) this.behaviour.delete(method); else this.behaviour.set(method, behaviour);
      return json(200, {});
    }
    const method = url.split('/').pop()!;
    const signed = !!this.secret && authorization === `WCS ${createHmac('md5', this.secret).update(raw).digest('hex')}`;
    this.calls.push({ method, body: JSON.parse(raw) as Record<string, unknown>, authorization, signed, raw, at: Date.now(), webhook });
    const b = this.behaviour.get(method) ?? { status: 200 };
    if (b === 'hang') return;
    if (b === 'not-json') { res.writeHead(200); res.end('ok'); return; }
    json(b.status, { ...JSON.parse(raw), ...b.extra });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}
