/**
 * Shared pieces of the benchmarks: percentiles, a table printer, /proc readers, and the two-relay
 * namespace set-up they run in (the same harness the tests use, so numbers come from the real parts).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { descendants } from '../scripts/process-tree.ts';

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function table(title: string, header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? (Number.isInteger(c) ? String(c) : c.toFixed(1)) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [`\n${title}`, line(cells[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
  console.log(out);
  return out;
}

export const ms = (n: number) => Math.round(n);

/** utime+stime of a process and all its live descendants, in seconds. */
export function cpuSeconds(pid: number): number {
  const tick = 100;
  let total = 0;
  for (const p of [pid, ...descendants(pid).map((d) => d.pid)]) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / tick;
    } catch { /* the process ended between listing and reading */ }
  }
  return total;
}

/** The kernel's UDP counters inside a namespace: datagrams received and dropped for a full socket buffer. */
export function udpCounters(ns: string): { received: number; bufferDrops: number } {
  const lines = execFileSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/snmp'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('Udp: '));
  const [names, values] = lines.map((l) => l.split(' ').slice(1));
  const get = (name: string) => Number(values![names!.indexOf(name)]);
  return { received: get('InDatagrams'), bufferDrops: get('RcvbufErrors') };
}

/** Datagrams each process's UDP sockets have dropped for a full receive buffer, from `ss` inside a namespace. */
export function udpDropsByPid(ns: string): Map<number, number> {
  const text = execFileSync('ip', ['netns', 'exec', ns, 'ss', '-uamnpH'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const drops = new Map<number, number>();
  let pid = 0;
  for (const line of text.split('\n')) {
    if (/^\S/.test(line)) pid = Number(/users:\(\("[^"]+",pid=(\d+)/.exec(line)?.[1] ?? 0); // a socket's first line
    const counter = /skmem:\([^)]*\bd(\d+)\)/.exec(line);
    if (counter && pid) drops.set(pid, (drops.get(pid) ?? 0) + Number(counter[1]));
  }
  return drops;
}

export function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export function machine(): string {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  const cores = readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length;
  const mem = Math.round(Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) / 1024 / 1024);
  return `${cores} cores (${cpu}), ${mem} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

export async function metric(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

export async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, everyMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
