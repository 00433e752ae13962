/**
 * Whether a failed pull's origin takes connections again, so the pull retries the moment its origin (a
 * restarted relay, a link that came back) is there instead of waiting out its backoff. Only a comeback
 * counts: an origin that answered all along (its stream is missing) leaves the backoff alone.
 */
import { connect } from 'node:net';

/** True when a TCP connection to host:port opens within timeoutMs. The boundary unit tests can fake. */
export type Reach = (host: string, port: number, timeoutMs: number) => Promise<boolean>;

export const tcpReach: Reach = (host, port, timeoutMs) => new Promise((resolve) => {
  const socket = connect({ host, port });
  const done = (ok: boolean) => { clearTimeout(timer); socket.destroy(); resolve(ok); };
  const timer = setTimeout(() => done(false), timeoutMs);
  socket.once('connect', () => done(true));
  socket.once('error', () => done(false));
});

/** Fast probing for the first minute of an outage, then slower, so a long one costs an origin little. */
const FAST_MS = 250;
const SLOW_MS = 2000;
const FAST_FOR_MS = 60_000;

export class OriginProbe {
  private readonly host: string;
  private readonly port: number;
  private run = 0;

  constructor(uri: string, private readonly reach: Reach = tcpReach) {
    const url = new URL(uri);
    this.host = url.hostname;
    this.port = Number(url.port || (url.protocol === 'wss:' ? 443 : 80));
  }

  /** Probes until the origin, unreachable at least once, is reachable again: then `onBack`, once. */
  watch(onBack: () => void): void {
    const run = ++this.run;
    const since = Date.now();
    let sawDown = false;
    const probe = async () => {
      const ok = await this.reach(this.host, this.port, FAST_MS);
      if (run !== this.run) return;
      if (!ok) sawDown = true;
      else if (sawDown) { this.stop(); onBack(); return; }
      else return; // it answers: the failure was not about reaching it, and the backoff decides
      setTimeout(() => void probe(), Date.now() - since < FAST_FOR_MS ? FAST_MS : SLOW_MS).unref();
    };
    void probe();
  }

  stop(): void { this.run += 1; }
}
