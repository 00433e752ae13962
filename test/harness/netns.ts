/**
 * A throwaway network namespace joined to the root one by a veth pair. Janus never gathers ICE on
 * loopback, so relays, Janus and Chromium run inside it and ICE uses the veth address; every packet
 * stays on this machine. Namespaces are removed on destroy() and, as a last resort, on process exit.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

let ipBinary: string | undefined;

const live = new Set<NetNamespace>();
process.on('exit', () => { for (const ns of live) ns.destroySync(); });
// A run stopped with Ctrl-C or SIGTERM must not leave namespaces behind either.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const ns of live) ns.destroySync();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

let subnet = 0;

export class NetNamespace {
  readonly address: string;
  readonly hostAddress: string;
  private constructor(readonly name: string, private readonly hostVeth: string, octet: number) {
    this.address = `198.18.${octet}.2`;
    this.hostAddress = `198.18.${octet}.1`;
  }

  static create(): NetNamespace {
    const tag = randomBytes(3).toString('hex');
    const octet = ((process.pid + subnet++ * 7) % 250) + 1;
    const ns = new NetNamespace(`siphon-${tag}`, `sv${tag}h`, octet);
    const inner = `sv${tag}n`;
    live.add(ns);
    try {
      ip('netns', 'add', ns.name);
      ip('link', 'add', ns.hostVeth, 'type', 'veth', 'peer', 'name', inner);
      ip('link', 'set', inner, 'netns', ns.name);
      // IPv4 only: an IPv6 link-local address finishes duplicate address detection ~1.5 s after the link comes up,
      // and Chromium in the namespace takes that for a network change and aborts every request in flight
      // (net::ERR_NETWORK_CHANGED: a demo page's scripts failed to load, its buttons never worked).
      ip('netns', 'exec', ns.name, 'sysctl', '-qw', `net.ipv6.conf.${inner}.disable_ipv6=1`);
      execFileSync('sysctl', ['-qw', `net.ipv6.conf.${ns.hostVeth}.disable_ipv6=1`], { stdio: ['ignore', 'ignore', 'pipe'] });
      ip('addr', 'add', `${ns.hostAddress}/24`, 'dev', ns.hostVeth);
      ip('link', 'set', ns.hostVeth, 'up');
      ip('netns', 'exec', ns.name, 'ip', 'addr', 'add', `${ns.address}/24`, 'dev', inner);
      ip('netns', 'exec', ns.name, 'ip', 'link', 'set', inner, 'up');
      ip('netns', 'exec', ns.name, 'ip', 'link', 'set', 'lo', 'up');
    } catch (err) {
      ns.destroySync();
      throw err;
    }
    return ns;
  }

  /**
   * Host names only this namespace resolves: `ip netns exec` bind-mounts /etc/netns/<name>/hosts over /etc/hosts for
   * what runs inside (a name that resolves to a cloud metadata address, without touching the machine's own file).
   */
  addHosts(entries: Record<string, string>): void {
    mkdirSync(this.etcDir, { recursive: true });
    const lines = ['127.0.0.1 localhost', ...Object.entries(entries).map(([name, address]) => `${address} ${name}`)];
    writeFileSync(join(this.etcDir, 'hosts'), `${lines.join('\n')}\n`);
  }

  private get etcDir(): string { return `/etc/netns/${this.name}`; }

  /** Runs a command inside; it gets SIGTERM from the kernel if the test process dies first. */
  /** `options.env` may carry a PATH of its own (a relay host's): `ip` is found on the test's PATH. */
  spawn(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
    ipBinary ??= execFileSync('sh', ['-c', 'command -v ip']).toString().trim();
    return spawn(ipBinary, ['netns', 'exec', this.name, 'setpriv', '--pdeathsig', 'TERM', command, ...args], options);
  }

  /**
   * Receive processing of what is sent inside this namespace (its loopback) runs on `core` (RPS), not on the sender's
   * core: on loopback the kernel delivers a packet in the sender's context, so a relay pinned to a core would be
   * charged for its receivers' kernel work too, which on a real network runs on their machines.
   */
  steerReceiveTo(core: number): void {
    ip('netns', 'exec', this.name, 'sh', '-c', `echo ${(1 << core).toString(16)} > /sys/class/net/lo/queues/rx-0/rps_cpus`);
  }

  /** Cuts or restores the link between this namespace and the root one. */
  setLink(up: boolean): void {
    ip('link', 'set', this.hostVeth, up ? 'up' : 'down');
  }

  /**
   * Deleting a namespace does not end the processes in it: a grandchild that outlived its parent
   * (wrangler's esbuild) would keep running. Tests have stopped what they started by now; this is the
   * last line of defence, and it says so when it has to act.
   */
  private killLeftovers(): void {
    let pids: string[] = [];
    try {
      pids = execFileSync('ip', ['netns', 'pids', this.name], { encoding: 'utf8' }).split('\n').filter(Boolean);
    } catch { return; } // never created
    if (pids.length === 0) return;
    process.stderr.write(`netns ${this.name}: killing ${pids.length} process(es) left behind: ${pids.join(' ')}\n`);
    for (const pid of pids) {
      try { process.kill(Number(pid), 'SIGKILL'); } catch { /* exited meanwhile */ }
    }
  }

  destroySync(): void {
    if (!live.has(this)) return;
    live.delete(this);
    this.killLeftovers();
    try { ip('link', 'del', this.hostVeth); } catch { /* went with the namespace already */ }
    try { ip('netns', 'del', this.name); } catch { /* never created */ }
    rmSync(this.etcDir, { recursive: true, force: true });
  }
}

/** A direct veth link between two namespaces: two media hosts on one wire, which a test can cut. */
export class NamespaceLink {
  private constructor(readonly a: NetNamespace, readonly b: NetNamespace, readonly ifA: string, readonly ifB: string,
    readonly addressA: string, readonly addressB: string) {}

  /**
   * Resolves once both ends are running (carrier up, `LOWER_UP`) with IPv4 only. Made and used at once (an IPv6
   * link-local address still tentative, or no carrier yet), the first pull over it failed by ICE timeout on most
   * runs, the next attempt 15 s later played at once.
   */
  static async create(a: NetNamespace, b: NetNamespace): Promise<NamespaceLink> {
    const tag = randomBytes(3).toString('hex');
    const octet = ((process.pid + subnet++ * 11) % 250) + 1;
    const link = new NamespaceLink(a, b, `sl${tag}a`, `sl${tag}b`, `198.19.${octet}.1`, `198.19.${octet}.2`);
    ip('link', 'add', link.ifA, 'netns', a.name, 'type', 'veth', 'peer', 'name', link.ifB, 'netns', b.name);
    for (const [ns, dev, address] of [[a, link.ifA, link.addressA], [b, link.ifB, link.addressB]] as const) {
      // IPv4 only: an IPv6 link-local address would sit "tentative" (duplicate address detection) for ~1.3 s.
      ip('netns', 'exec', ns.name, 'sysctl', '-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`);
      ip('netns', 'exec', ns.name, 'ip', 'addr', 'add', `${address}/24`, 'dev', dev);
    }
    link.set(true);
    await link.running();
    return link;
  }

  private async running(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const lowerUp = (ns: NetNamespace, dev: string) =>
      execFileSync('ip', ['-n', ns.name, '-o', 'link', 'show', 'dev', dev], { encoding: 'utf8' }).includes('LOWER_UP');
    while (!(lowerUp(this.a, this.ifA) && lowerUp(this.b, this.ifB))) {
      if (Date.now() > deadline) throw new Error(`link ${this.ifA}<>${this.ifB} not running after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Cuts (false) or restores (true) the wire; both ends go down so neither side can send. */
  set(up: boolean): void {
    ip('netns', 'exec', this.a.name, 'ip', 'link', 'set', this.ifA, up ? 'up' : 'down');
    ip('netns', 'exec', this.b.name, 'ip', 'link', 'set', this.ifB, up ? 'up' : 'down');
  }
}
