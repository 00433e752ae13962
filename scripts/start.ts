/**
 * `npm start`: the whole system on one machine — relay A on :8080 (an origin with the built-in `demo`
 * stream), relay B on :9080, and the REST edge (`wrangler dev`) on :8787 in front of B (the relays' WCS REST ports 8081/8444 and
 * 9081/9444 stay free for them). Prints the
 * curl that pulls `demo` from A into B through the edge and where to watch it. Ctrl-C stops it all.
 * Child logs go to .run/logs/; the edge keeps its KV and Durable Object state in .run/edge-state/
 * (SIPHON_EDGE_STATE), so recorded pulls survive a restart and are re-created by reconciliation.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import { descendants, endOrphans } from './process-tree.ts';
import { RELAY_NODE_ARGS } from '../relay/node-args.ts';
import { stopChild } from '../relay/stop-child.ts';
import { waitForDemoMedia } from './demo-check.ts';

const root = new URL('..', import.meta.url).pathname;
const logs = join(root, '.run', 'logs');
mkdirSync(logs, { recursive: true });

const EDGE_HTTPS = process.env.SIPHON_EDGE_HTTPS === 'true';
const EDGE_PORT = Number(process.env.SIPHON_EDGE_PORT ?? (EDGE_HTTPS ? 8788 : 8787));
const EDGE_SCHEME = EDGE_HTTPS ? 'https' : 'http';
const EDGE_IP = process.env.SIPHON_EDGE_IP ?? '127.0.0.1';
const EDGE_STATE = process.env.SIPHON_EDGE_STATE ?? join(root, '.run', 'edge-state');
const RECONCILE_EVERY_MS = 60_000;

interface Service { name: string; child: ChildProcess; exited: Promise<unknown> }
const services: Service[] = [];
let stopping = false;

function start(name: string, command: string, args: string[], env: Record<string, string>): Service {
  const out = createWriteStream(join(logs, `${name}.log`), { flags: 'a' });
  // pdeathsig: if this orchestrator is killed outright, the kernel ends its services too.
  const child = spawn('setpriv', ['--pdeathsig', 'TERM', command, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const service = { name, child, exited: once(child, 'exit') };
  void service.exited.then(([code, signal]) => {
    if (stopping) return;
    console.error(`siphon: ${name} exited unexpectedly (code ${code}, signal ${signal}); see .run/logs/${name}.log. Stopping.`);
    void stop(1);
  });
  services.push(service);
  return service;
}

async function waitForHttp(url: string, what: string, timeoutMs = 60_000, tlsPort = false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) return;
    const ok = tlsPort
      ? await new Promise<boolean>((resolve) => { // any TLS handshake answer means the edge listens
        const s = connectTls({ host: '127.0.0.1', port: EDGE_PORT, rejectUnauthorized: false }, () => { s.end(); resolve(true); });
        s.on('error', () => resolve(false));
      })
      : await fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => r.status < 500, () => false);
    if (ok) return;
    await delay(200); // polling a port that has no "ready" event to subscribe to
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs / 1000} s`);
}

async function stop(code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => {}); // a second Ctrl-C: the first stop is under way
  stopping = true;
  const started = descendants(process.pid);
  await Promise.all(services.map((s) => stopChild(s.child, 10_000)));
  // A service may exit before its own children (esbuild under wrangler) are gone; do not return before they are.
  const survivors = await endOrphans(started, (message) => console.error(`siphon: ${message}`));
  if (survivors.length > 0) console.error(`siphon: still running after SIGKILL: ${survivors.map((p) => `${p.command} (${p.pid})`).join(', ')}`);
  process.exit(code);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

const node = process.execPath;
start('relay-a', node, RELAY_NODE_ARGS, { SIPHON_DEMO_STREAM: process.env.SIPHON_DEMO_STREAM ?? 'demo' });
start('relay-b', node, RELAY_NODE_ARGS, {
  SIPHON_DEMO_STREAM: '', SIPHON_WS_PORT: '9080', SIPHON_WSS_PORT: '9443', SIPHON_HLS_PORT: '9082', SIPHON_HLS_TLS_PORT: '9445', SIPHON_REST_PORT: '9081', SIPHON_REST_TLS_PORT: '9444',
  SIPHON_JANUS_API_PORT: '8198', SIPHON_JANUS_ADMIN_PORT: '7198',
  SIPHON_MEDIA_PORTS: '42001-43000', SIPHON_NOSIP_PORTS: '43001-43999',
  SIPHON_MOUNTPOINT_PORTS: '44000-44999', SIPHON_TEE_PORTS: '45000-46999',
});
const tls = EDGE_HTTPS ? execFileSync('bash', ['scripts/edge-cert.sh'], { cwd: root, encoding: 'utf8' }).trim().split('\n') : [];
const httpsArgs = EDGE_HTTPS ? ['--local-protocol', 'https', '--https-cert-path', tls[0]!, '--https-key-path', tls[1]!] : [];
start('edge', join(root, 'node_modules/.bin/wrangler'), ['dev', '--ip', EDGE_IP, '--port', String(EDGE_PORT),
  '--persist-to', EDGE_STATE, '--test-scheduled', '--log-level', 'info', '--var', 'LOCAL_DEV:true', ...httpsArgs], {
  WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', CLOUDFLARE_CF_FETCH_ENABLED: 'false',
});

try {
  await Promise.all([
    waitForHttp('http://127.0.0.1:8080/health', 'relay A'),
    waitForHttp('http://127.0.0.1:9080/health', 'relay B'),
    waitForHttp(`http://127.0.0.1:${EDGE_PORT}/rest-api/openapi.json`, 'the edge', 60_000, EDGE_HTTPS),
  ]);
  if (process.env.SIPHON_DEMO_STREAM !== '') await waitForDemoMedia('http://127.0.0.1:8080/health');
} catch (err) {
  console.error(`siphon: ${(err as Error).message}`);
  await stop(1);
}

const body = JSON.stringify({ uri: 'ws://127.0.0.1:8080', remoteStreamName: 'demo', localStreamName: 'demo' });
console.log(`
Siphon is up.
  relay A (origin, streams "demo"):  http://localhost:8080/   (WCS REST also on :8081)
  relay B (behind the edge):         http://localhost:9080/   (WCS REST also on :9081)
  edge API docs:                     ${EDGE_SCHEME}://localhost:${EDGE_PORT}/rest-api/docs

Pull "demo" from relay A into relay B through the edge:
  curl -s -w '\\nHTTP %{http_code}\\n'${EDGE_HTTPS ? ` --cacert ${tls[0]}` : ''} -X POST ${EDGE_SCHEME}://127.0.0.1:${EDGE_PORT}/rest-api/pull/pull -H 'content-type: application/json' -d '${body}'

Then watch it on relay B (WebRTC, or hls.js with LL-HLS), or give the playlist to any HLS player:
  http://localhost:9080/viewer.html?stream=demo
  http://localhost:9080/hls.html?stream=demo&ll=1
  http://localhost:9082/demo/demo.m3u8

Logs: .run/logs/. Ctrl-C stops everything.
`);

// wrangler dev does not fire cron triggers; run the reconciliation the cron would run in production.
setInterval(() => {
  const get = EDGE_HTTPS ? httpsGet : httpGet;
  get(`${EDGE_SCHEME}://127.0.0.1:${EDGE_PORT}/__scheduled?cron=*+*+*+*+*`, { rejectUnauthorized: false }, (res) => res.resume())
    .on('error', (err) => console.error(`siphon: reconciliation trigger failed: ${err.message}`));
}, RECONCILE_EVERY_MS).unref();
