/**
 * A real RTMP server for the push tests: Debian's nginx with its RTMP module (`libnginx-mod-rtmp`), run in a
 * test namespace with a config of its own (`application live`), started, restarted and stopped by the test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { stopChild } from '../../relay/stop-child.ts';
import type { NetNamespace } from './netns.ts';

export const NGINX_RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

export class RtmpServer {
  private child: ChildProcess | undefined;
  private constructor(private readonly ns: NetNamespace, readonly port: number, private readonly dir: string) {}

  static async start(ns: NetNamespace, port = 1935): Promise<RtmpServer> {
    const dir = mkdtempSync(join(tmpdir(), 'siphon-test-rtmp-'));
    writeFileSync(join(dir, 'nginx.conf'), [
      `load_module ${NGINX_RTMP_MODULE};`, 'daemon off;', 'master_process off;', `pid ${dir}/nginx.pid;`, `error_log ${dir}/error.log warn;`,
      'events { worker_connections 64; }',
      `rtmp { server { listen ${port}; chunk_size 4096; application live { live on; record off; } } }`, '',
    ].join('\n'));
    const server = new RtmpServer(ns, port, dir);
    await server.run();
    return server;
  }

  /** From the root namespace (where ffprobe runs) and from inside (where the relay runs). */
  get url(): string { return `rtmp://${this.ns.address}:${this.port}/live`; }
  get innerUrl(): string { return `rtmp://127.0.0.1:${this.port}/live`; }

  private async run(): Promise<void> {
    this.child = this.ns.spawn('nginx', ['-p', this.dir, '-c', join(this.dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[nginx] ${d}`));
    const deadline = Date.now() + 10_000;
    while (!(await this.listening())) {
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error(`nginx-rtmp did not listen on ${this.port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private listening(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = connect(this.port, this.ns.address);
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
  }

  async restart(): Promise<void> {
    await this.stop(false);
    await this.run();
  }

  async stop(remove = true): Promise<void> {
    if (this.child) await stopChild(this.child, 5000);
    this.child = undefined;
    if (remove) rmSync(this.dir, { recursive: true, force: true });
  }
}
