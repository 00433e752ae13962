/**
 * The processes below the `npm start` orchestrator (Janus and GStreamer under the relays, workerd and
 * esbuild under wrangler). They are grandchildren, so Node cannot wait for them: the orchestrator
 * notes them before stopping and checks /proc until they are gone, so that when `npm start` exits
 * nothing it started is still running.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/** A process named by pid and start time, so a recycled pid is never mistaken for it. */
export interface ProcessId { pid: number; startTime: string; command: string }

function stat(pid: number): { state: string; ppid: number; startTime: string; command: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command sits in parentheses and may hold spaces; the fields after it are fixed.
    const close = text.lastIndexOf(')');
    const fields = text.slice(close + 2).split(' ');
    return { state: fields[0]!, ppid: Number(fields[1]), startTime: fields[19]!, command: text.slice(text.indexOf('(') + 1, close) };
  } catch {
    return undefined; // exited between listing and reading
  }
}

export function descendants(root: number): ProcessId[] {
  const children = new Map<number, ProcessId[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const s = stat(pid);
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push({ pid, startTime: s.startTime, command: s.command });
    children.set(s.ppid, list);
  }
  const found: ProcessId[] = [];
  const walk = (pid: number) => { for (const c of children.get(pid) ?? []) { found.push(c); walk(c.pid); } };
  walk(root);
  return found;
}

function alive(p: ProcessId): boolean {
  const s = stat(p.pid);
  return s !== undefined && s.startTime === p.startTime && s.state !== 'Z'; // a zombie has exited
}

/** Waits up to `timeoutMs` for every process to exit; returns the ones still running. */
export async function waitGone(processes: ProcessId[], timeoutMs: number): Promise<ProcessId[]> {
  const deadline = Date.now() + timeoutMs;
  let left = processes.filter(alive);
  while (left.length > 0 && Date.now() < deadline) {
    await delay(50); // no exit event exists for a process that is not our child
    left = left.filter(alive);
  }
  return left;
}

/**
 * Ends processes that outlived the service that started them (they are orphans once it has exited):
 * a second to go by themselves, then SIGTERM, then SIGKILL. Returns what still runs after all that.
 */
export async function endOrphans(noted: ProcessId[], report: (message: string) => void): Promise<ProcessId[]> {
  const signal = (p: ProcessId, name: NodeJS.Signals) => {
    report(`${p.command} (pid ${p.pid}) outlived its service; sending ${name}`);
    try { process.kill(p.pid, name); } catch (err) { report(`could not signal ${p.pid}: ${(err as Error).message}`); }
  };
  const orphans = await waitGone(noted, 1_000);
  for (const p of orphans) signal(p, 'SIGTERM');
  const stubborn = await waitGone(orphans, 3_000);
  for (const p of stubborn) signal(p, 'SIGKILL');
  return waitGone(stubborn, 3_000);
}
