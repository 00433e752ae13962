/** Runs a relay (`node --import tsx relay/main.ts`, the same entry as `npm run relay`) inside a namespace. */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { NetNamespace } from './netns.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface LogLine { event: string; level: string; [k: string]: unknown }

export class RelayProcess {
  readonly lines: LogLine[] = [];
  private waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess, readonly ns: NetNamespace, readonly port: number) {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let line: LogLine;
      try { line = JSON.parse(text) as LogLine; } catch { return; }
      this.lines.push(line);
      if (process.env.SIPHON_TEST_LOG) process.stderr.write(`[relay ${ns.name}] ${text}\n`);
      this.waiters = this.waiters.filter((w) => (w.match(line) ? (w.resolve(line), false) : true));
    });
    child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[relay ${ns.name} stderr] ${d}`));
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
  }

  static async start(ns: NetNamespace, env: Record<string, string> = {}): Promise<RelayProcess> {
    const port = Number(env.SIPHON_WS_PORT ?? 8080);
    const child = ns.spawn(process.execPath, ['--import', 'tsx', 'relay/main.ts'], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SIPHON_KEEPALIVE_INTERVAL_MS: '5000', SIPHON_LOG_LEVEL: 'debug', ...env },
    });
    const relay = new RelayProcess(child, ns, port);
    await Promise.race([
      relay.waitFor((l) => l.event === 'relay.ready', 20_000),
      relay.exited.then((code) => { throw new Error(`relay exited with ${code} before ready`); }),
    ]);
    return relay;
  }

  /** URL reachable from the test process (root namespace). */
  get url(): string { return `http://${this.ns.address}:${this.port}`; }
  get wsUrl(): string { return `ws://${this.ns.address}:${this.port}`; }
  /** URL for a browser inside the namespace: loopback is a secure context, so getUserMedia works. */
  get pageUrl(): string { return `http://127.0.0.1:${this.port}`; }

  waitFor(match: (l: LogLine) => boolean, timeoutMs = 15_000): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`relay log: no matching line within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ match, resolve: (l) => { clearTimeout(timer); resolve(l); } });
    });
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      const code = await this.exited;
      clearTimeout(timer);
      return code;
    }
    return this.child.exitCode;
  }
}
