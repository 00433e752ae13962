/** The server's side of WCS's keep-alive: a `ping` every interval; a client that misses `probes` pongs in a row is gone. */
export class KeepAlive {
  private missed = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number, private readonly probes: number, private readonly ping: () => void, private readonly dead: (missed: number) => void) {
    this.timer = setInterval(() => this.tick(), intervalMs);
  }

  pong(): void { this.missed = 0; }

  stop(): void { clearInterval(this.timer); }

  private tick(): void {
    if (this.missed >= this.probes) {
      this.stop();
      this.dead(this.missed);
      return;
    }
    this.missed += 1;
    this.ping();
  }
}
