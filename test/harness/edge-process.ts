/** `wrangler dev` (the real workerd) running the edge inside a namespace, with its own state dir. */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetNamespace } from './netns.ts';
import { descendants, endOrphans } from '../../scripts/process-tree.ts';
import { stopChild } from '../../relay/stop-child.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

export class EdgeProcess {
  private output = '';
  private constructor(readonly child: ChildProcess, readonly ns: NetNamespace, readonly port: number, private readonly state: string) {
    const keep = (d: Buffer) => {
      this.output += d.toString();
      if (process.env.SIPHON_TEST_LOG) process.stderr.write(`[edge] ${d}`);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
  }

  get url(): string { return `http://${this.ns.address}:${this.port}`; }
  get log(): string { return this.output; }

  static async start(ns: NetNamespace, vars: Record<string, string>, port = 8787, https?: { cert: string; key: string }): Promise<EdgeProcess> {
    const state = mkdtempSync(join(tmpdir(), 'siphon-edge-'));
    const args = ['dev', '--ip', '0.0.0.0', '--port', String(port), '--persist-to', state, '--test-scheduled'];
    if (https) args.push('--local-protocol', 'https', '--https-cert-path', https.cert, '--https-key-path', https.key);
    // An edge under test is a local one: open without a token unless the test gives one (or says LOCAL_DEV: 'false').
    for (const [k, v] of Object.entries({ LOCAL_DEV: 'true', ...vars })) args.push('--var', `${k}:${v}`);
    const child = ns.spawn(join(root, 'node_modules/.bin/wrangler'), args, {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    });
    const edge = new EdgeProcess(child, ns, port, state);
    await edge.ready();
    return edge;
  }

  /** wrangler prints "Ready on http://…" once workerd serves requests. */
  private ready(timeoutMs = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`wrangler dev not ready within ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      const check = () => {
        if (/Ready on http/.test(this.output)) { clearTimeout(timer); resolve(); }
      };
      this.child.stdout!.on('data', check);
      this.child.stderr!.on('data', check);
      this.child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`wrangler dev exited with ${code}:\n${this.output}`)); });
      check();
    });
  }

  /** Runs the cron handler now, as Cloudflare would on schedule. */
  async runScheduled(): Promise<void> {
    const res = await fetch(`${this.url}/__scheduled?cron=*+*+*+*+*`);
    if (res.status !== 200) throw new Error(`scheduled run answered ${res.status}`);
  }

  /** Stops wrangler and what it started (workerd, esbuild), which may outlive it by a moment. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const started = descendants(this.child.pid!);
      await stopChild(this.child, 10_000);
      const survivors = await endOrphans(started, (message) => { this.output += `[harness] ${message}\n`; });
      if (survivors.length > 0) throw new Error(`wrangler left processes running: ${survivors.map((p) => p.pid).join(' ')}`);
    }
    rmSync(this.state, { recursive: true, force: true });
  }
}
