/**
 * The one boundary the Janus supervisor drives, so its loop can be tested with a fake: a process to
 * spawn (none for an external Janus) and a connection to it (API client + Admin API). The real ones
 * spawn Janus (the patched build of ./build) with a generated config and talk to it over janode.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { stopChild } from '../stop-child.ts';
import { janusLibDir, writeJanusConfig } from './config.ts';
import { BUILT_JANUS_BINARY } from './build/janus-build.ts';
import { JanusAdmin, JanusClient, JanusUnavailableError } from './client.ts';

const STOP_TIMEOUT_MS = 5_000;
/** Well inside a pull's 5 s sampling period, so a slow Janus never stacks up requests. */
const HANDLE_INFO_TIMEOUT_MS = 2_000;

export interface JanusProcess {
  readonly pid: number | undefined;
  /** Resolves with why, once the process has exited. */
  readonly exited: Promise<string>;
  /** SIGTERM, SIGKILL after a grace period; resolves once it has exited. */
  stop(): Promise<void>;
  kill(): void;
}

export interface JanusConnection {
  readonly client: JanusClient;
  /** Rejects when the Admin API does not answer within `timeoutMs` (resolves at once without an Admin API). */
  ping(timeoutMs: number): Promise<void>;
  inventory(): Promise<{ sessions?: number; mountpoints?: number; handles?: number }>;
  /** The Admin API's handle_info `info` of one handle; rejects without an Admin API, or after a timeout. */
  handleInfo(sessionId: number, handleId: number): Promise<Record<string, unknown>>;
  /** Resolves when the API connection closes. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

export interface JanusRuntime {
  readonly apiUrl: string;
  /** Starts a Janus process; undefined when the relay uses an external Janus. */
  spawn(): JanusProcess | undefined;
  /** One attempt to connect; rejects if Janus does not answer. */
  connect(): Promise<JanusConnection>;
}

export interface JanusSecrets { adminSecret: string; streamingAdminKey: string }

class SpawnedJanus implements JanusProcess {
  readonly exited: Promise<string>;
  constructor(private readonly child: ChildProcess) {
    // Never rejects: a process that could not be started is one that exited, with why.
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve(`janus exited (code ${code}, signal ${signal})`));
      child.once('error', (err) => resolve(`cannot run janus: ${err.message}`));
    });
  }

  get pid(): number | undefined { return this.child.pid; }
  stop(): Promise<void> { return stopChild(this.child, STOP_TIMEOUT_MS); }
  kill(): void { this.child.kill('SIGKILL'); }
}

class JanodeConnection implements JanusConnection {
  readonly closed: Promise<void>;
  constructor(readonly client: JanusClient, private readonly admin: JanusAdmin | undefined) {
    this.closed = new Promise((resolve) => client.once('closed', () => resolve()));
  }

  async ping(timeoutMs: number): Promise<void> { await this.admin?.info(timeoutMs); }

  async inventory(): Promise<{ sessions?: number; mountpoints?: number; handles?: number }> {
    if (!this.admin) return {};
    const [sessions, mountpoints, handles] = await Promise.all([
      this.admin.sessionCount().catch(() => undefined), this.admin.mountpointCount().catch(() => undefined),
      this.admin.handleCount().catch(() => undefined),
    ]);
    return { sessions, mountpoints, handles };
  }

  async handleInfo(sessionId: number, handleId: number): Promise<Record<string, unknown>> {
    if (!this.admin) throw new JanusUnavailableError('no Janus Admin API configured');
    return this.admin.handleInfo(sessionId, handleId, HANDLE_INFO_TIMEOUT_MS);
  }

  async close(): Promise<void> {
    await this.client.close();
    await this.admin?.close();
  }
}

async function connectJanode(apiUrl: string, adminUrl: string, secret: string): Promise<JanusConnection> {
  const client = await JanusClient.connect(apiUrl);
  try {
    return new JanodeConnection(client, adminUrl ? await JanusAdmin.connect(adminUrl, secret) : undefined);
  } catch (err) {
    await client.close();
    throw err;
  }
}

/** Janus 1.1.2 (by default the patched build of relay/janus/build) spawned by the relay, its config generated into `workDir`; it dies with the relay (pdeathsig). */
export function spawnedJanus(config: Config, workDir: string, secrets: JanusSecrets, log: Logger): JanusRuntime {
  const apiUrl = `ws://127.0.0.1:${config.janusApiPort}`;
  return {
    apiUrl,
    spawn() {
      const eventLoops = config.janusEventLoops || Math.max(1, Math.floor(availableParallelism() / 2));
      const binary = config.janusBinary || BUILT_JANUS_BINARY;
      const { configFile, logFile } = writeJanusConfig({
        dir: join(workDir, 'janus'), apiPort: config.janusApiPort, adminPort: config.janusAdminPort, ...secrets,
        icePorts: config.mediaPorts, nosipPorts: config.nosipPorts, mountpointPorts: config.mountpointPorts,
        publicIp: config.publicIp, iceInterfaces: config.iceInterfaces, iceTcp: config.iceTcp, eventLoops, libDir: janusLibDir(binary),
      });
      const child = spawn('setpriv', ['--pdeathsig', 'KILL', binary,
        '-C', configFile, '-F', join(workDir, 'janus'), '-L', logFile, '-N', '-o', '-D'], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr?.on('data', (d: Buffer) => log.warn('janus.stderr', { text: d.toString().trim().slice(0, 500) }));
      log.info('janus.spawned', { pid: child.pid, binary, configFile, logFile, eventLoops });
      return new SpawnedJanus(child);
    },
    connect: () => connectJanode(apiUrl, `ws://127.0.0.1:${config.janusAdminPort}`, secrets.adminSecret),
  };
}

/** A Janus someone else runs (`SIPHON_JANUS_URL`): connected to, never spawned or killed. */
export function externalJanus(config: Config, secrets: JanusSecrets): JanusRuntime {
  return {
    apiUrl: config.janusUrl,
    spawn: () => undefined,
    connect: () => connectJanode(config.janusUrl, config.janusAdminUrl, secrets.adminSecret),
  };
}
