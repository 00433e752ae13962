/**
 * Two namespaces joined through a third, "wire", whose linkem process (link-emulator/linkem.c) forwards
 * every frame with the delay, jitter and loss a test sets, per direction, while it runs. The ends get the
 * same addresses a NamespaceLink would, so a test swaps one for the other. Offloads are off on all four veth
 * ends: a forwarded UDP datagram otherwise keeps a partial checksum and the receiver drops it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { NetNamespace } from './netns.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const SOURCE = join(here, 'link-emulator', 'linkem.c');
const BINARY = join(here, '../../.run/linkem');

/** One direction's settings; omitted fields keep their value. Jitter is uniform ±jitterMs, order kept. */
export interface Impairment {
  delayMs?: number;
  jitterMs?: number;
  lossPct?: number;
  /** Mean length of a loss burst in frames (Gilbert-Elliott); 0 or 1: independent losses. */
  burst?: number;
  /** Drop every UDP frame (a firewall that lets only TCP through). */
  dropUdp?: boolean;
}

export interface DirectionStats {
  in: number; lost: number; udpDropped: number; overflow: number; out: number; bytesOut: number; queued: number;
  delayMs: number; jitterMs: number; lossPct: number; burst: number; udp: 'pass' | 'drop';
}
export interface LinkStats { ab: DirectionStats; ba: DirectionStats }

/** Builds the emulator when it is missing or older than its source (gcc is in setup's list). */
export function linkemBinary(): string {
  if (!existsSync(BINARY) || statSync(BINARY).mtimeMs < statSync(SOURCE).mtimeMs) {
    mkdirSync(join(BINARY, '..'), { recursive: true });
    execFileSync('gcc', ['-O2', '-Wall', '-o', BINARY, SOURCE], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  return BINARY;
}

function run(cmd: string, ...args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

let subnet = 0;

export class ImpairedLink {
  private readonly answers: ((line: string) => void)[] = [];
  private exited = false;

  private constructor(readonly a: NetNamespace, readonly b: NetNamespace, readonly wire: NetNamespace,
    readonly ifA: string, readonly ifB: string, readonly addressA: string, readonly addressB: string,
    private readonly wireA: string, private readonly wireB: string, private readonly proc: ChildProcess) {
    const lines = createInterface({ input: proc.stdout! });
    lines.on('line', (line) => this.answers.shift()?.(line));
    proc.on('exit', () => {
      this.exited = true;
      for (const answer of this.answers.splice(0)) answer('error: linkem exited');
    });
  }

  /** `seed` makes the loss pattern repeat from run to run. */
  static async create(a: NetNamespace, b: NetNamespace, seed = 1): Promise<ImpairedLink> {
    const binary = linkemBinary();
    const wire = NetNamespace.create();
    const tag = randomBytes(3).toString('hex');
    const octet = ((process.pid + subnet++ * 13) % 250) + 1;
    const [ifA, ifB, wireA, wireB] = [`si${tag}a`, `si${tag}b`, `sw${tag}a`, `sw${tag}b`];
    const ends: [NetNamespace, string][] = [[a, ifA], [b, ifB], [wire, wireA], [wire, wireB]];
    run('ip', 'link', 'add', ifA, 'netns', a.name, 'type', 'veth', 'peer', 'name', wireA, 'netns', wire.name);
    run('ip', 'link', 'add', ifB, 'netns', b.name, 'type', 'veth', 'peer', 'name', wireB, 'netns', wire.name);
    const addressA = `198.20.${octet}.1`;
    const addressB = `198.20.${octet}.2`;
    for (const [ns, dev] of ends) {
      // IPv4 only (see netns.ts); and no offloads, so forwarded frames carry complete checksums.
      run('ip', 'netns', 'exec', ns.name, 'sysctl', '-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`);
      run('ip', 'netns', 'exec', ns.name, 'ethtool', '-K', dev, 'tx', 'off', 'rx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off');
      run('ip', '-n', ns.name, 'link', 'set', dev, 'up');
    }
    run('ip', '-n', a.name, 'addr', 'add', `${addressA}/24`, 'dev', ifA);
    run('ip', '-n', b.name, 'addr', 'add', `${addressB}/24`, 'dev', ifB);
    const proc = wire.spawn(binary, [wireA, wireB, String(seed)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const link = new ImpairedLink(a, b, wire, ifA, ifB, addressA, addressB, wireA, wireB, proc);
    const ready = await link.next(5000);
    if (ready !== 'ready') { link.destroySync(); throw new Error(`linkem did not start: ${ready}`); }
    await link.running();
    return link;
  }

  private next(timeoutMs = 2000): Promise<string> {
    if (this.exited) return Promise.resolve('error: linkem exited');
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(`error: no answer in ${timeoutMs} ms`), timeoutMs);
      this.answers.push((line) => { clearTimeout(timer); resolve(line); });
    });
  }

  private async ask(command: string): Promise<string> {
    const answer = this.next();
    this.proc.stdin!.write(`${command}\n`);
    const line = await answer;
    if (line.startsWith('error')) throw new Error(`linkem: ${command}: ${line}`);
    return line;
  }

  /** Sets one direction (`ab`: from a to b), or both. Takes effect for the next frame. */
  async set(direction: 'ab' | 'ba' | 'both', imp: Impairment): Promise<void> {
    const kv = [
      imp.delayMs !== undefined && `delay=${imp.delayMs}`, imp.jitterMs !== undefined && `jitter=${imp.jitterMs}`,
      imp.lossPct !== undefined && `loss=${imp.lossPct}`, imp.burst !== undefined && `burst=${imp.burst}`,
      imp.dropUdp !== undefined && `udp=${imp.dropUdp ? 'drop' : 'pass'}`,
    ].filter(Boolean);
    await this.ask(`set ${direction} ${kv.join(' ')}`);
  }

  async stats(): Promise<LinkStats> {
    return JSON.parse(await this.ask('stats')) as LinkStats;
  }

  /** A rate cap on one direction (`tc tbf`, which this kernel has): a bottleneck that queues, then drops. */
  rateLimit(direction: 'ab' | 'ba', kbit: number | null): void {
    const dev = direction === 'ab' ? this.wireB : this.wireA; // the wire's egress toward the receiver
    try { run('tc', '-n', this.wire.name, 'qdisc', 'del', 'dev', dev, 'root'); } catch { /* none yet */ }
    if (kbit !== null) {
      run('tc', '-n', this.wire.name, 'qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', `${kbit}kbit`, 'burst', '16kb', 'latency', '100ms');
    }
  }

  private async running(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const lowerUp = (ns: NetNamespace, dev: string) =>
      execFileSync('ip', ['-n', ns.name, '-o', 'link', 'show', 'dev', dev], { encoding: 'utf8' }).includes('LOWER_UP');
    while (!(lowerUp(this.a, this.ifA) && lowerUp(this.b, this.ifB))) {
      if (Date.now() > deadline) throw new Error(`impaired link ${this.ifA}<>${this.ifB} not running after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops the emulator, waits for it to go, and removes the wire namespace (the veths go with it). */
  async destroy(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise((resolve) => this.proc.once('exit', resolve));
      this.proc.kill('SIGKILL');
      await gone;
    }
    this.wire.destroySync();
  }

  /** The same without waiting (a process exit handler); netns.ts then reaps the emulator. */
  destroySync(): void {
    if (!this.exited) this.proc.kill('SIGKILL');
    this.wire.destroySync();
  }
}
