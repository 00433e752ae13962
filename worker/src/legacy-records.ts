/**
 * Pull records from before the edge kept them in its Durable Object: KV keys `pull:<name>`. Reconciliation imports
 * them once (epoch 1, under the claim they were made with) and deletes them from KV, so an upgraded edge keeps
 * every pull it had. KV is not read otherwise.
 */
import { log } from './log.ts';
import { claims } from './state.ts';
import type { StoredPull } from './edge-state.ts';

type LegacyPull = Pick<StoredPull, 'uri' | 'remoteStreamName' | 'localStreamName' | 'claim' | 'created'> & { relay: string };

const fromLegacy = (r: LegacyPull): StoredPull => ({
  uri: r.uri, remoteStreamName: r.remoteStreamName, localStreamName: r.localStreamName, claim: r.claim, created: r.created,
  replicas: 1, placements: [{ relay: r.relay, epoch: 1 }],
});

export async function importLegacyRecords(env: Env): Promise<number> {
  let imported = 0;
  let cursor: string | undefined;
  do {
    const page = await env.PULLS.list<LegacyPull>({ prefix: 'pull:', cursor });
    for (const key of page.keys) {
      const r = key.metadata ?? await env.PULLS.get<LegacyPull>(key.name, 'json');
      if (r && await claims(env).commit(fromLegacy(r))) imported += 1;
      else log('edge.legacy_record_dropped', { key: key.name, reason: r ? 'its name claim is gone' : 'unreadable' });
      await env.PULLS.delete(key.name);
    }
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  if (imported > 0) log('edge.legacy_records_imported', { imported });
  return imported;
}
