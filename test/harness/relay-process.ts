/** Runs a relay (RELAY_NODE_ARGS, the same entry as `npm run relay` and `npm start`) inside a namespace. */
import { RELAY_NODE_ARGS } from '../../relay/node-args.ts';
import { stopChild } from '../../relay/stop-child.ts';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { NetNamespace } from './netns.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface LogLine { event: string; level: string; [k: string]: unknown }

export class RelayProcess {
  readonly lines: LogLine[] = [];
  private waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess, readonly ns: NetNamespace, readonly port: number, readonly hlsPort: number) {
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

  /**
   * Settings for the n-th relay sharing one namespace: its own HTTP/WS ports, Janus ports and UDP
   * ranges (relay 0 keeps the defaults, so the SDK pages' default URL ws://host:8080 points at it; port 10080 is
   * skipped because browsers and fetch refuse it).
   */
  static slot(n: number): Record<string, string> {
    if (n === 0) return {};
    const b = 40000 + n * 2000;
    return {
      SIPHON_WS_PORT: String(8080 + n * 1000 + (n >= 2 ? 1000 : 0)), SIPHON_WSS_PORT: String(8443 + n * 1000 + (n >= 2 ? 1000 : 0)),
      SIPHON_HLS_PORT: String(8082 + n * 1000 + (n >= 2 ? 1000 : 0)), SIPHON_HLS_TLS_PORT: String(8445 + n * 1000 + (n >= 2 ? 1000 : 0)),
      SIPHON_REST_PORT: String(8081 + n * 1000 + (n >= 2 ? 1000 : 0)), SIPHON_REST_TLS_PORT: String(8444 + n * 1000 + (n >= 2 ? 1000 : 0)),
      SIPHON_JANUS_API_PORT: String(8188 + n * 10), SIPHON_JANUS_ADMIN_PORT: String(7188 + n * 10),
      SIPHON_MEDIA_PORTS: `${b}-${b + 399}`, SIPHON_NOSIP_PORTS: `${b + 400}-${b + 799}`,
      SIPHON_MOUNTPOINT_PORTS: `${b + 800}-${b + 1199}`, SIPHON_TEE_PORTS: `${b + 1200}-${b + 1999}`,
    };
  }

  static async start(ns: NetNamespace, env: Record<string, string> = {}): Promise<RelayProcess> {
    const port = Number(env.SIPHON_WS_PORT ?? 8080);
    // The harness owns the Janus work dir, so a relay a test SIGKILLs leaves nothing in /tmp either.
    const workDir = env.SIPHON_WORK_DIR ?? mkdtempSync(join(tmpdir(), 'siphon-test-relay-'));
    const child = ns.spawn(process.execPath, RELAY_NODE_ARGS, {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SIPHON_KEEPALIVE_INTERVAL_MS: '5000', SIPHON_LOG_LEVEL: 'debug', SIPHON_WORK_DIR: workDir, SIPHON_RECORD_DIR: join(workDir, 'records'), ...env },
    });
    if (!env.SIPHON_WORK_DIR) child.once('exit', () => rmSync(workDir, { recursive: true, force: true }));
    const relay = new RelayProcess(child, ns, port, Number(env.SIPHON_HLS_PORT ?? 8082));
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
  /** The HLS port, from the test process and from a browser inside the namespace. */
  get hlsUrl(): string { return `http://${this.ns.address}:${this.hlsPort}`; }
  get pageHlsUrl(): string { return `http://127.0.0.1:${this.hlsPort}`; }
  /** The relay's WCS URL as seen from inside the namespace (what pages and other relays dial). */
  get innerWsUrl(): string { return `ws://${this.ns.address}:${this.port}`; }

  waitFor(match: (l: LogLine) => boolean, timeoutMs = 15_000): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`relay log: no matching line within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ match, resolve: (l) => { clearTimeout(timer); resolve(l); } });
    });
  }

  async stop(): Promise<number | null> {
    await stopChild(this.child, 10_000);
    return this.child.exitCode;
  }
}
