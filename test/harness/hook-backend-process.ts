/**
 * The hook backend (hook-backend.ts) as a process of its own, the way an operator's application runs beside a
 * relay: it can be told to answer 403 or hang (over its `/_control/*` routes), and killed to refuse connections.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Behaviour, HookCall } from './hook-backend.ts';

const MAIN = fileURLToPath(new URL('./hook-backend-main.ts', import.meta.url));

export class HookBackendProcess {
  private constructor(private readonly child: ChildProcess, readonly host: string, readonly port: number) {}

  /** Listens on `host` (the root side of a test namespace's veth, where its relays reach it). */
  /** `behaviour`: how it answers from its first request on (before `answer()` could be called). */
  static async start(host: string, secret: string, port = 0, behaviour: Record<string, Behaviour> = {}): Promise<HookBackendProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, host, String(port), secret, JSON.stringify(behaviour)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const listening = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`hook backend exited (${code}) before listening`)));
      createInterface({ input: child.stdout! }).on('line', (l) => { const m = /^listening (\d+)$/.exec(l); if (m) resolve(Number(m[1])); });
    });
    return new HookBackendProcess(child, host, listening);
  }

  get url(): string { return `http://${this.host}:${this.port}/apps/EchoApp`; }

  async answer(method: string, behaviour: Behaviour | null): Promise<void> {
    await fetch(`http://${this.host}:${this.port}/_control/answer`, { method: 'POST', body: JSON.stringify({ method, behaviour }) });
  }

  async calls(method?: string): Promise<HookCall[]> {
    const all = await (await fetch(`http://${this.host}:${this.port}/_control/calls`)).json() as HookCall[];
    return method ? all.filter((c) => c.method === method) : all;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }
}
