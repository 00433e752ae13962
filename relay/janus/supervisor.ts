/**
 * Owns the Janus process: spawns it with a generated config, waits until its API answers, pings the
 * Admin API, restarts it when it dies or stops answering, and stops it on shutdown. With `janusUrl`
 * set it only connects to an existing Janus (and reconnects), never spawning or killing anything.
 *
 * Consumers listen for `up` (a fresh client: re-create what you had) and `down` (every handle is gone).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { writeJanusConfig } from './config.ts';
import { JanusAdmin, JanusClient, JanusUnavailableError } from './client.ts';
import { stopChild } from '../stop-child.ts';

export type JanusState = 'stopped' | 'starting' | 'up' | 'down' | 'stopping';

export interface SupervisorEvents {
  up: [JanusClient];
  down: [reason: string];
}

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const MAX_BACKOFF_MS = 5_000;
const HEALTH_FAILURES_BEFORE_RESTART = 3;

export class JanusSupervisor extends EventEmitter<SupervisorEvents> {
  state: JanusState = 'stopped';
  restarts = 0;
  lastError = '';
  pid: number | undefined;
  /** Key the Streaming plugin requires for create/destroy; the viewer proxy never sends it. */
  readonly streamingAdminKey: string;
  private child: ChildProcess | undefined;
  private client: JanusClient | undefined;
  private admin: JanusAdmin | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private healthFailures = 0;
  private backoffMs = 250;
  private workDir = '';
  private ownWorkDir = false;
  private readonly adminSecret: string;
  private readonly external: boolean;

  constructor(private readonly config: Config, private readonly log: Logger) {
    super();
    this.external = config.janusUrl !== '';
    this.adminSecret = config.janusAdminSecret || randomBytes(12).toString('hex');
    this.streamingAdminKey = config.janusStreamingAdminKey || randomBytes(12).toString('hex');
  }

  get apiUrl(): string {
    return this.config.janusUrl || `ws://127.0.0.1:${this.config.janusApiPort}`;
  }

  get current(): JanusClient {
    if (this.state !== 'up' || !this.client) throw new JanusUnavailableError(`Janus is ${this.state}`);
    return this.client;
  }

  async start(): Promise<void> {
    if (!this.external) {
      this.ownWorkDir = this.config.workDir === '';
      this.workDir = this.config.workDir || mkdtempSync(join(tmpdir(), 'siphon-janus-'));
    }
    await this.launch();
  }

  private async launch(): Promise<void> {
    this.setState('starting');
    try {
      if (!this.external) this.spawnJanus();
      await this.connect();
      this.backoffMs = 250;
      this.setState('up');
      this.startHealth();
      this.emit('up', this.client!);
    } catch (err) {
      this.lastError = (err as Error).message;
      this.log.error('janus.start_failed', { err, pid: this.pid });
      if (this.state === 'stopping' || this.state === 'stopped') return;
      await this.teardownAfterFailure('start failed');
    }
  }

  private spawnJanus(): void {
    const eventLoops = this.config.janusEventLoops || Math.max(1, Math.floor(availableParallelism() / 2));
    const { configFile, logFile } = writeJanusConfig({
      dir: join(this.workDir, 'janus'),
      apiPort: this.config.janusApiPort,
      adminPort: this.config.janusAdminPort,
      adminSecret: this.adminSecret,
      streamingAdminKey: this.streamingAdminKey,
      icePorts: this.config.mediaPorts,
      nosipPorts: this.config.nosipPorts,
      mountpointPorts: this.config.mountpointPorts,
      publicIp: this.config.publicIp,
      iceInterfaces: this.config.iceInterfaces,
      eventLoops,
    });
    // setpriv makes the kernel kill Janus if the relay dies without running its shutdown.
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', this.config.janusBinary,
      '-C', configFile, '-F', join(this.workDir, 'janus'), '-L', logFile, '-N', '-o', '-D'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => this.log.warn('janus.stderr', { text: d.toString().trim().slice(0, 500) }));
    this.child = child;
    this.pid = child.pid;
    this.log.info('janus.spawned', { pid: child.pid, configFile, logFile, eventLoops });
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
  }

  private async connect(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    let lastErr: unknown;
    while (Date.now() < deadline) {
      if (this.state !== 'starting') throw new JanusUnavailableError('start aborted');
      if (this.child && this.child.exitCode !== null) throw new JanusUnavailableError(`janus exited with ${this.child.exitCode}`);
      try {
        this.client = await JanusClient.connect(this.apiUrl);
        const adminUrl = this.external ? this.config.janusAdminUrl : `ws://127.0.0.1:${this.config.janusAdminPort}`;
        if (adminUrl) this.admin = await JanusAdmin.connect(adminUrl, this.adminSecret);
        this.client.once('closed', () => this.onConnectionLost());
        return;
      } catch (err) {
        lastErr = err;
        await this.client?.close();
        this.client = undefined;
        await delay(50);
      }
    }
    throw new JanusUnavailableError(`Janus did not answer within ${START_TIMEOUT_MS} ms: ${(lastErr as Error)?.message}`);
  }

  private startHealth(): void {
    this.healthFailures = 0;
    this.healthTimer = setInterval(() => void this.checkHealth(), this.config.janusHealthIntervalMs);
    this.healthTimer.unref();
  }

  private async checkHealth(): Promise<void> {
    if (this.state !== 'up' || !this.admin) return;
    try {
      await this.admin.info(Math.max(500, this.config.janusHealthIntervalMs / 2));
      this.healthFailures = 0;
    } catch (err) {
      this.healthFailures += 1;
      this.log.warn('janus.health_failed', { failures: this.healthFailures, err });
      if (this.healthFailures >= HEALTH_FAILURES_BEFORE_RESTART) {
        this.lastError = `Admin API did not answer ${this.healthFailures} times`;
        if (this.child) this.child.kill('SIGKILL'); else this.onConnectionLost();
      }
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = undefined;
    this.pid = undefined;
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.lastError = `janus exited (code ${code}, signal ${signal})`;
    this.log.error('janus.exited', { code, signal });
    void this.teardownAfterFailure(this.lastError);
  }

  private onConnectionLost(): void {
    if (this.state !== 'up') return;
    this.lastError = this.lastError || 'Janus API connection closed';
    this.log.error('janus.connection_lost', { pid: this.pid });
    if (this.child && this.child.exitCode === null) {
      this.child.kill('SIGKILL'); // exit handler takes over
    } else if (!this.child) {
      void this.teardownAfterFailure('connection lost');
    }
  }

  private async teardownAfterFailure(reason: string): Promise<void> {
    if (this.state === 'down') return;
    const wasUp = this.state === 'up';
    this.setState('down');
    clearInterval(this.healthTimer);
    const client = this.client;
    this.client = undefined;
    await client?.close();
    await this.admin?.close();
    this.admin = undefined;
    if (this.child && this.child.exitCode === null) {
      this.child.kill('SIGKILL');
      await new Promise((r) => this.child?.once('exit', r) ?? r(undefined));
    }
    if (wasUp) this.emit('down', reason);
    this.restarts += 1;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.log.warn('janus.restarting', { inMs: wait, restarts: this.restarts, reason });
    await delay(wait);
    if ((this.state as JanusState) === 'down') await this.launch();
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.setState('stopping');
    clearInterval(this.healthTimer);
    await this.client?.close();
    await this.admin?.close();
    this.client = undefined;
    this.admin = undefined;
    if (this.child) await stopChild(this.child, STOP_TIMEOUT_MS);
    if (this.ownWorkDir) rmSync(this.workDir, { recursive: true, force: true });
    this.setState('stopped');
  }

  /** Janus's own view of what it holds (sessions, mountpoints), for /metrics; undefined while it is down. */
  async inventory(): Promise<{ sessions?: number; mountpoints?: number }> {
    const admin = this.admin;
    if (!admin || this.state !== 'up') return {};
    const [sessions, mountpoints] = await Promise.all([
      admin.sessionCount().catch(() => undefined), admin.mountpointCount().catch(() => undefined),
    ]);
    return { sessions, mountpoints };
  }

  private setState(state: JanusState): void {
    if (this.state === state) return;
    this.log.info('janus.state', { from: this.state, to: state, pid: this.pid });
    this.state = state;
  }
}
