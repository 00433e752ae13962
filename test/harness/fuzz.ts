/**
 * Seeded generators of hostile input for the fault tests: malformed REST requests and WCS frames.
 * A seed makes every run reproducible; a failing case prints its index so it can be replayed.
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const nasty: unknown[] = [null, true, 0, -1, 1e308, '', ' ', '\u0000', 'a\u0007b', '\ud800', 'x'.repeat(300), [], {}, [[[[[]]]]],
  { $gt: '' }, '../../etc/passwd', '<script>alert(1)</script>', 'ws://', 'wss://', 'http://h:1', 'ws://h:99999',
  'ws://[::1', 'javascript:alert(1)', 'ws://user:pass@h:1', 'ws://\u0000h', 123.5, { toString: 'x' }];

const BAD_NAMES: unknown[] = [null, true, 0, -1, '', ' ', '\u0000', 'a\u0007b', '\n', 'x'.repeat(300), [], {}, ['a'], { $gt: '' }];
const BAD_URIS: unknown[] = [null, 42, '', ' ', 'ws://', 'wss://', 'http://', 'sftp://h:1', 'ws://h:99999', 'ws://[::1', 'javascript:alert(1)',
  '../../etc/passwd', 'h:8080', ['ws://h:1'], {}];

/** Deeply nested JSON text (built as a string: stringify itself would overflow the stack). */
const deepJson = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

export interface FuzzRequest { method: string; path: string; headers: Record<string, string>; body?: string }

/**
 * Requests that must never be accepted: every pull body breaks at least one rule, so a 200 would be
 * a bug; terminate/find bodies may be valid filters, but then they match nothing (404).
 */
export function malformedRequests(count: number, seed: number, paths: string[]): FuzzRequest[] {
  const rand = prng(seed);
  const out: FuzzRequest[] = [];
  const valid = { uri: 'ws://127.0.0.1:1', remoteStreamName: 'fuzz', localStreamName: 'fuzz' };
  for (let i = 0; i < count; i++) {
    const path = pick(rand, paths);
    const method = rand() < 0.75 ? 'POST' : pick(rand, ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'POST']);
    const headers: Record<string, string> = {};
    if (rand() < 0.7) headers['content-type'] = pick(rand, ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', '']);
    if (rand() < 0.2) headers.authorization = pick(rand, ['Bearer', 'Bearer ', 'Basic Zm9vOmJhcg==', 'Bearer x'.repeat(50), '\u00ff']);
    let body: string | undefined;
    switch (Math.floor(rand() * 9)) {
      case 0: body = undefined; break;
      case 1: body = pick(rand, ['', '{', '}', 'null', '[]', '"str"', '42', 'true', '{"a":}', '\u0000\u0001', '{"uri":"ws://h"']); break;
      case 2: {
        const field = pick(rand, ['uri', 'remoteStreamName', 'localStreamName']);
        body = JSON.stringify({ ...valid, [field]: pick(rand, field === 'uri' ? BAD_URIS : BAD_NAMES) });
        break;
      }
      case 3: { const { uri: _u, ...rest } = valid; body = JSON.stringify(rand() < 0.5 ? rest : { uri: valid.uri }); break; }
      case 4: body = JSON.stringify({ ...valid, uri: pick(rand, ['gopher://h:1', 'http:', 'ftp://h', 'ws//h', 'h:1', 'ws:', '', 'ws:/', 'file:///x']) }); break;
      case 5: body = JSON.stringify({ ...valid, localStreamName: 'x'.repeat(257 + Math.floor(rand() * 1000)) }); break;
      case 6: body = JSON.stringify({ ...valid, uri: 'ws://h:1', pad: 'p'.repeat(65 * 1024 + Math.floor(rand() * 50_000)) }); break;
      case 7: body = deepJson(50 + Math.floor(rand() * 5000)); break;
      default: body = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 2000) }, () => Math.floor(rand() * 256))).toString('latin1');
    }
    if (method === 'GET' || method === 'HEAD') body = undefined;
    out.push({ method, path, headers, body });
  }
  return out;
}

/** Text frames a hostile WCS peer might send; none is a valid complete request with a real SDP. */
export function hostileFrames(count: number, seed: number): string[] {
  const rand = prng(seed);
  const messages = ['connection', 'publishStream', 'playStream', 'unPublishStream', 'stopStream', 'setRemoteSDP',
    'availableStream', 'sendStreamEvent', 'sendData', 'ping', 'pong', 'getUserData', 'notifyStreamStatusEvent', 'fail', '__proto__', 'constructor'];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const message = pick(rand, messages);
    switch (Math.floor(rand() * 7)) {
      case 0: out.push(pick(rand, ['', '{', 'null', '[]', '{"message":1,"data":[]}', '{"message":"x"}', '\u0000', 'not json'])); break;
      case 1: out.push(JSON.stringify({ message, data: pick(rand, nasty) })); break;
      case 2: out.push(JSON.stringify({ message, data: [pick(rand, nasty), pick(rand, nasty)] })); break;
      case 3: out.push(JSON.stringify({ message, data: [{ mediaSessionId: `f-${i}`, name: pick(rand, ['', 'n', 'x'.repeat(300), '\u0001']), sdp: pick(rand, ['v=0', 'garbage', 'v=0\r\nm=video x', '']) }] })); break;
      case 4: out.push(JSON.stringify({ message, data: [{ mediaSessionId: pick(rand, nasty), name: pick(rand, nasty), sdp: pick(rand, nasty) }] })); break;
      case 5: out.push(`{"message":"${message}","data":[${deepJson(20 + Math.floor(rand() * 2000))}]}`); break;
      default: out.push(JSON.stringify({ message: pick(rand, ['bogus', 'x'.repeat(65), '']), data: [] }));
    }
  }
  return out;
}
