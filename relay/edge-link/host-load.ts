/**
 * The host's CPU and egress since the last reading, for the heartbeats: a relay host runs a relay and its Janus,
 * so the whole host's figures are what the edge should weigh (Janus's sending is most of both). CPU from the
 * kernel's per-core times (os.cpus), egress from /proc/net/dev's transmitted bytes on every interface but loopback.
 */
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';

interface Reading { at: number; busy: number; idle: number; txBytes: number }

function txBytes(): number {
  try {
    return readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2).reduce((sum, line) => {
      const [name, rest] = line.split(':');
      if (!rest || name!.trim() === 'lo') return sum;
      return sum + Number(rest.trim().split(/\s+/)[8] ?? 0);
    }, 0);
  } catch {
    return 0; // not Linux: egress unknown, reported as 0
  }
}

function read(): Reading {
  let busy = 0;
  let idle = 0;
  for (const { times } of cpus()) {
    busy += times.user + times.nice + times.sys + times.irq;
    idle += times.idle;
  }
  return { at: Date.now(), busy, idle, txBytes: txBytes() };
}

export class HostLoad {
  private last = read();

  /** CPU as % of one core (up to 100 × cores) and bytes sent per second, since the previous call. */
  sample(): { cpu: number; egressBps: number } {
    const now = read();
    const cores = cpus().length || 1;
    const ticks = now.busy + now.idle - this.last.busy - this.last.idle;
    const cpu = ticks > 0 ? ((now.busy - this.last.busy) / ticks) * 100 * cores : 0;
    const seconds = (now.at - this.last.at) / 1000;
    const egressBps = seconds > 0 ? Math.max(0, now.txBytes - this.last.txBytes) / seconds : 0;
    this.last = now;
    return { cpu: Math.round(cpu * 10) / 10, egressBps: Math.round(egressBps) };
  }
}
