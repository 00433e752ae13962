/** FedProcess: an output's one process and its feed; stopping ends the process before its ports go back. */
import { describe, expect, it } from 'vitest';
import { FedProcess } from '../../../relay/media/process-feed.ts';

function fakes() {
  const calls: string[] = [];
  const feed = { disconnect: () => calls.push('disconnect'), release: () => calls.push('release') };
  const process = { stop: async () => { calls.push('stop start'); await Promise.resolve(); calls.push('stop end'); } };
  return { calls, feed, process };
}

describe('FedProcess', () => {
  it('stops feeding, stops the process, and only then gives its ports back; once', async () => {
    const { calls, feed, process } = fakes();
    const fed = new FedProcess<typeof process>();
    fed.set(process, feed);
    expect(fed.process).toBe(process);
    const stopping = fed.stop();
    expect(fed.process).toBeUndefined(); // at once: a restart may set the next one meanwhile
    await stopping;
    await fed.stop();
    expect(calls).toEqual(['disconnect', 'stop start', 'stop end', 'release']);
  });

  it('a recorder is fed until it is gone', async () => {
    const { calls, feed, process } = fakes();
    const fed = new FedProcess<typeof process>(true);
    fed.set(process, feed);
    await fed.stop();
    expect(calls).toEqual(['stop start', 'stop end', 'release']);
  });
});
