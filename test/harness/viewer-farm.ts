/**
 * Drives mountpoint-viewer-farm.ts, run inside a namespace: Streaming viewers of one relay's mountpoint, terminated
 * in another relay's Janus (both named by their relay slot, RelayProcess.slot), asked one line at a time.
 */
import { createInterface } from 'node:readline';
import type { NetNamespace } from './netns.ts';
import { RelayProcess } from './relay-process.ts';

export interface FarmStats { received: number; lost: number; late: number; legs: number }

export interface ViewerFarm {
  /** Viewers up to `n` in all. */
  add(n: number): Promise<{ viewers: number; up: number }>;
  stats(): Promise<FarmStats>;
  readonly pid: number;
  stop(): void;
}

export function spawnViewerFarm(ns: NetNamespace, sourceSlot: number, farmSlot: number, mountpoint: string, sinkPort: number): ViewerFarm {
  const api = (slot: number) => `ws://127.0.0.1:${RelayProcess.slot(slot).SIPHON_JANUS_API_PORT ?? 8188}`;
  const child = ns.spawn(process.execPath, ['--import', 'tsx', 'test/harness/mountpoint-viewer-farm.ts', api(sourceSlot), api(farmSlot), mountpoint, String(sinkPort)],
    { cwd: new URL('../..', import.meta.url).pathname, stdio: ['pipe', 'pipe', 'inherit'] });
  const answers = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const ask = async <T>(command: string): Promise<T> => {
    child.stdin!.write(`${command}\n`);
    const next = await answers.next();
    if (next.done) throw new Error('the viewer farm ended');
    return JSON.parse(next.value) as T;
  };
  return { add: (n) => ask(`add ${n}`), stats: () => ask('stats'), pid: child.pid!, stop: () => child.kill() };
}
