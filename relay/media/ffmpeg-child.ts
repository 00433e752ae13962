/**
 * One ffmpeg the relay runs (the HLS packager, an RTMP pusher, a recorder): spawned, its last stderr line kept for
 * the reason it ends (through `redact`, so an RTMP key never leaves it), `exited` said once unless we stopped it,
 * and `stop()`: SIGTERM, SIGKILL after the grace. `dieWithRelay` adds `setpriv --pdeathsig KILL`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { stopChild } from '../stop-child.ts';

export interface FfmpegChildOptions {
  args: string[];
  /** The packager reads fMP4 from stdout; the others leave it alone. */
  stdout: 'pipe' | 'ignore';
  dieWithRelay: boolean;
  graceMs: number;
  redact?: (line: string) => string;
  /** Every stderr line (redacted), for a caller that logs them. */
  onStderrLine?: (line: string) => void;
}

export class FfmpegChild extends EventEmitter<{ exited: [reason: string] }> {
  readonly child: ChildProcess;
  lastError = '';
  private stopping = false;

  constructor(private readonly options: FfmpegChildOptions) {
    super();
    const [command, args] = options.dieWithRelay ? ['setpriv', ['--pdeathsig', 'KILL', 'ffmpeg', ...options.args]] : ['ffmpeg', options.args];
    this.child = spawn(command, args, { stdio: ['ignore', options.stdout, 'pipe'] });
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => this.onStderr(text));
    this.child.once('error', (err) => this.exited(`cannot run ffmpeg: ${err.message}`));
    this.child.once('exit', (code, signal) => this.exited(`ffmpeg exited (${signal ?? `code ${code}`})${this.lastError ? `: ${this.lastError}` : ''}`));
  }

  get pid(): number | undefined { return this.child.pid; }

  private onStderr(text: string): void {
    const redact = this.options.redact ?? ((l: string) => l);
    for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
      this.lastError = redact(line).slice(0, 300);
      this.options.onStderrLine?.(this.lastError);
    }
  }

  private exited(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.emit('exited', reason);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await stopChild(this.child, this.options.graceMs);
  }
}
