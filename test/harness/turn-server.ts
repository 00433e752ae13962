/**
 * A real TURN server for firewalled clients: Debian's coturn (`turnserver`), in a test namespace, on one address,
 * UDP and TCP, long-term credentials, no TLS, no CLI, no config file; ready once it says its TCP listener is open.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { stopChild } from '../../relay/stop-child.ts';
import type { NetNamespace } from './netns.ts';

export class TurnServer {
  private constructor(private readonly child: ChildProcess, readonly address: string, readonly port: number,
    readonly username: string, readonly credential: string, readonly log: string[]) {}

  static async start(ns: NetNamespace, address: string, port = 3478): Promise<TurnServer> {
    const [username, credential] = ['siphon', 'turn-test-secret'];
    const child = ns.spawn('turnserver', ['-n', '--listening-ip', address, '--relay-ip', address, '--listening-port', String(port),
      '--realm', 'siphon.test', '--lt-cred-mech', '--user', `${username}:${credential}`, '--fingerprint', '--no-tls', '--no-dtls',
      '--no-cli', '--min-port', '49160', '--max-port', '49400', '--log-file', 'stdout', '--simple-log', '--no-software-attribute', '-v',
      '--pidfile', '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const log: string[] = [];
    const server = new TurnServer(child, address, port, username, credential, log);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`coturn did not open its TCP listener within 10 s: ${log.slice(-5).join(' | ')}`)), 10_000);
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`coturn exited (${code}): ${log.slice(-5).join(' | ')}`)); });
      for (const stream of [child.stdout!, child.stderr!]) {
        createInterface({ input: stream }).on('line', (line) => {
          log.push(line); if (process.env.TURN_DEBUG) console.log(line);
          if (/TCP listener opened on/.test(line) && line.includes(address)) { clearTimeout(timer); resolve(); }
        });
      }
    });
    return server;
  }

  /** As a page gives it to RTCPeerConnection: TURN over TCP, for a client whose UDP is blocked. */
  get tcpUrl(): string { return `turn:${this.address}:${this.port}?transport=tcp`; }

  /** Allocations it made (each a client relayed through it). */
  get allocations(): number { return this.log.filter((l) => /ALLOCATE processed, success/.test(l)).length; }

  stop(): Promise<void> { return stopChild(this.child, 3000); }
}
