/**
 * Measures an impaired link from its two ends: a UDP echo in one namespace, a prober in the other that
 * sends numbered datagrams at a fixed rate and times each echo. Also a TCP connect, to show the link
 * (or its UDP firewall) leaves TCP alone. Both ends are plain `node -e` children inside the namespaces.
 */
import { once } from 'node:events';
import type { NetNamespace } from './netns.ts';

export interface ProbeResult { sent: number; received: number; lossPct: number; rttMs: { p5: number; p50: number; p95: number; max: number } }

const ECHO = `
const s = require('node:dgram').createSocket('udp4');
s.on('message', (m, r) => s.send(m, r.port, r.address));
s.bind(Number(process.argv[1]), () => console.log('listening'));
require('node:net').createServer((c) => c.end('hello\\n')).listen(Number(process.argv[1]));
`;

const PROBE = `
const [host, port, count, gapMs] = process.argv.slice(1);
const s = require('node:dgram').createSocket('udp4');
const sentAt = new Map(); const rtts = [];
s.on('message', (m) => { const t = sentAt.get(m.readUInt32BE(0)); if (t !== undefined) rtts.push(Number(process.hrtime.bigint() - t) / 1e6); });
let i = 0;
const timer = setInterval(() => {
  const b = Buffer.alloc(200); b.writeUInt32BE(i); sentAt.set(i, process.hrtime.bigint()); s.send(b, Number(port), host);
  if (++i >= Number(count)) { clearInterval(timer); setTimeout(() => { console.log(JSON.stringify({ sent: i, rtts })); process.exit(0); }, 1500); }
}, Number(gapMs));
`;

const TCP = `
const c = require('node:net').connect(Number(process.argv[2]), process.argv[1]);
c.setTimeout(5000, () => { console.log('timeout'); process.exit(0); });
c.on('data', (d) => { console.log(String(d).trim()); process.exit(0); });
c.on('error', (e) => { console.log('error ' + e.code); process.exit(0); });
`;

async function output(ns: NetNamespace, script: string, args: string[]): Promise<string> {
  const child = ns.spawn(process.execPath, ['-e', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  await once(child, 'exit');
  return out.trim();
}

/** An echo server (UDP and TCP on one port) inside `ns`; stop() ends it. */
export async function startEcho(ns: NetNamespace, port: number): Promise<{ stop: () => void }> {
  const child = ns.spawn(process.execPath, ['-e', ECHO, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`echo exited ${code}`)));
  });
  return { stop: () => child.kill('SIGKILL') };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : NaN;
}

export async function probeUdp(from: NetNamespace, host: string, port: number, count: number, gapMs: number): Promise<ProbeResult> {
  const { sent, rtts } = JSON.parse(await output(from, PROBE, [host, String(port), String(count), String(gapMs)])) as { sent: number; rtts: number[] };
  const sorted = [...rtts].sort((x, y) => x - y);
  return {
    sent, received: rtts.length, lossPct: (100 * (sent - rtts.length)) / sent,
    rttMs: { p5: percentile(sorted, 0.05), p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), max: sorted.at(-1) ?? NaN },
  };
}

/** 'hello' when a TCP connection crossed and the server answered. */
export async function tcpHello(from: NetNamespace, host: string, port: number): Promise<string> {
  return output(from, TCP, [host, String(port)]);
}
