/** Pull records in KV: what was asked for, kept so find_all can list it and reconciliation can re-create it. */
export interface StoredPull {
  uri: string;
  remoteStreamName: string;
  localStreamName: string;
  relay: string;
  /** The claim owner token; releasing the name needs it. */
  claim: string;
  created: string;
}

const key = (localStreamName: string) => `pull:${localStreamName}`;

/** KV list returns up to 1 KiB of metadata per key: small records ride along, so listing needs no reads. */
const METADATA_LIMIT = 1000;

export async function putRecord(kv: KVNamespace, r: StoredPull): Promise<void> {
  const json = JSON.stringify(r);
  await kv.put(key(r.localStreamName), json, json.length <= METADATA_LIMIT ? { metadata: r } : undefined);
}

export async function deleteRecord(kv: KVNamespace, localStreamName: string): Promise<void> {
  await kv.delete(key(localStreamName));
}

export async function listRecords(kv: KVNamespace): Promise<StoredPull[]> {
  const out: StoredPull[] = [];
  let cursor: string | undefined;
  do {
    const page = await kv.list<StoredPull>({ prefix: 'pull:', cursor });
    const values = await Promise.all(page.keys.map((k) => k.metadata ?? kv.get<StoredPull>(k.name, 'json')));
    for (const v of values) if (v) out.push(v);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return out;
}

export async function getRecord(kv: KVNamespace, localStreamName: string): Promise<StoredPull | null> {
  return kv.get<StoredPull>(key(localStreamName), 'json');
}
