/**
 * The pull agent's side of WHEP (draft-ietf-wish-whep), for an `http(s)://` pull URI: POST Janus's offer,
 * take the answer (201), and DELETE the session when the attempt ends. It speaks the same events as the WCS
 * client, so the pull's state machine is the same: there is no signalling socket to lose, so a WHEP origin
 * that goes away shows as the WebRTC leg ending or the media stalling.
 */
import { EventEmitter } from 'node:events';
import type { LookupFunction } from 'node:net';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { RemoteError, type PlayRequest, type WcsClientEvents } from '../../wcs/wcs-client.ts';

export interface WhepClientOptions { ca?: Buffer; rejectUnauthorized: boolean; lookup?: LookupFunction }

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

const MAX_ANSWER_BYTES = 64 * 1024;
const DELETE_TIMEOUT_MS = 2000;

export class WhepClient extends EventEmitter<WcsClientEvents> {
  private resource: URL | undefined;
  private ended = false;

  private constructor(private readonly url: URL, private readonly options: WhepClientOptions) { super(); }

  /** Nothing to connect: WHEP's first request is the offer itself. */
  static async connect(uri: string, options: WhepClientOptions): Promise<WhepClient> {
    return new WhepClient(new URL(uri), options);
  }

  /** POSTs the offer; resolves with the answer. A WHEP session plays once answered: PLAYING follows at once. */
  async play(r: PlayRequest, timeoutMs: number): Promise<string> {
    const reply = await this.send('POST', this.url, r.sdp, timeoutMs).catch((err: Error) => {
      throw new RemoteError(`cannot reach the WHEP endpoint ${this.url.href}: ${err.message}`);
    });
    if (reply.status !== 201 && reply.status !== 200) {
      throw new RemoteError(`the WHEP endpoint answered ${reply.status}${reply.body ? `: ${reply.body.slice(0, 200)}` : ''}`);
    }
    const type = String(reply.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (type !== 'application/sdp' || !reply.body.startsWith('v=0')) throw new RemoteError('the WHEP endpoint answered without an SDP answer');
    const location = reply.headers.location;
    if (typeof location === 'string') this.resource = new URL(location, this.url);
    setImmediate(() => { if (!this.ended) this.emit('status', { mediaSessionId: r.mediaSessionId, status: 'PLAYING', info: '' }); });
    return reply.body;
  }

  /** Ends the WHEP session (DELETE), once; nothing waits for it. */
  stop(): void { this.close(); }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    const resource = this.resource;
    if (resource) void this.send('DELETE', resource, undefined, DELETE_TIMEOUT_MS).catch(() => undefined);
  }

  private send(method: string, url: URL, body: string | undefined, timeoutMs: number): Promise<Reply> {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, {
        method, timeout: timeoutMs, ca: this.options.ca, rejectUnauthorized: this.options.rejectUnauthorized, lookup: this.options.lookup,
        headers: body === undefined ? {} : { 'content-type': 'application/sdp', 'content-length': Buffer.byteLength(body) },
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER_BYTES) { req.destroy(new Error(`answer over ${MAX_ANSWER_BYTES} bytes`)); return; }
          chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}
