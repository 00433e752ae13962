/** A raw WCS Websocket API client for tests that speak the protocol by hand (well or badly). */
import WebSocket from 'ws';

export interface Received { message: string; data: Record<string, unknown>[] }

export class RawWcsClient {
  readonly received: Received[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { match: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      let r: Received;
      try { r = JSON.parse(data.toString()) as Received; } catch { return; }
      this.received.push(r);
      this.waiters = this.waiters.filter((w) => (w.match(r) ? (w.resolve(r), false) : true));
    });
    ws.on('error', () => undefined); // the close event carries what the test checks
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async open(url: string, establish = true, tls?: { ca: Buffer }): Promise<RawWcsClient> {
    const ws = new WebSocket(url, tls ? { ca: tls.ca } : undefined);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    const client = new RawWcsClient(ws);
    if (establish) {
      client.send('connection', { appKey: 'defaultApp', mediaProviders: ['WebRTC'], clientVersion: '2.0' });
      await client.waitFor((r) => r.message === 'getUserData');
    }
    return client;
  }

  send(message: string, ...data: unknown[]): void {
    this.ws.send(JSON.stringify({ message, data }));
  }

  sendRaw(payload: string | Buffer): void {
    this.ws.send(payload);
  }

  waitFor(match: (r: Received) => boolean, timeoutMs = 10_000): Promise<Received> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.received).slice(0, 500)}`)), timeoutMs);
      this.waiters.push({ match, resolve: (r) => { clearTimeout(timer); resolve(r); } });
    });
  }

  statusFor(mediaSessionId: string): Promise<Received> {
    return this.waitFor((r) => r.message === 'notifyStreamStatusEvent' && r.data[0]?.mediaSessionId === mediaSessionId);
  }

  close(): void { this.ws.close(); }
}
