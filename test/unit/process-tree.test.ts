/** The orphan sweep of `npm start`: it finds grandchildren and knows when they are gone. */
import { describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { descendants, waitGone } from '../../scripts/process-tree.ts';

describe('process tree', () => {
  it('lists a grandchild that outlives its parent and sees it go once killed', async () => {
    // sh starts sleep in the background and exits at once: sleep is orphaned, as esbuild is under wrangler.
    const shell = spawn('sh', ['-c', 'sleep 30 & echo $!; read _'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const [line] = await once(shell.stdout!, 'data') as [Buffer];
    const sleepPid = Number(line.toString().trim());
    try {
      // The background job's pid is known before it has exec'd sleep (until then it is a copy of sh): wait for it.
      const found = await vi.waitFor(() => {
        const now = descendants(process.pid);
        expect(now.find((p) => p.pid === sleepPid)?.command).toBe('sleep');
        return now;
      }, { timeout: 10_000, interval: 20 });
      const sleeper = found.find((p) => p.pid === sleepPid);
      expect(found.some((p) => p.pid === shell.pid)).toBe(true);

      shell.stdin!.end(); // sh exits; sleep is reparented and still running
      await once(shell, 'exit');
      expect(await waitGone([sleeper!], 200)).toEqual([sleeper]);

      process.kill(sleepPid, 'SIGKILL');
      expect(await waitGone([sleeper!], 5_000)).toEqual([]);
    } finally {
      try { process.kill(sleepPid, 'SIGKILL'); } catch { /* already gone: the test killed it */ }
      shell.kill('SIGKILL');
    }
  });

  it('does not take a recycled pid for the process it noted', async () => {
    const self = descendants(process.ppid).find((p) => p.pid === process.pid)!;
    expect(await waitGone([{ ...self, startTime: '0' }], 0)).toEqual([]);
    expect(await waitGone([self], 0)).toEqual([self]);
  });
});
