/**
 * The edge's one consistent place, a SQLite-backed Durable Object that serialises everything: name claims (of N
 * racing requests for a name exactly one gets it; KV alone gave 20 winners out of 20 here), each pull's record
 * and placement (relay + an epoch that grows on every move, compare-and-set, so two reconcile runs cannot both
 * move a pull), and since when each relay has been failing. find_all reads every record in one call.
 */
import { DurableObject } from 'cloudflare:workers';

/** A pull as the edge keeps it: what was asked for, where it runs and since which move. */
export interface StoredPull {
  uri: string;
  remoteStreamName: string;
  localStreamName: string;
  relay: string;
  /** The claim owner token; releasing the name needs it. */
  claim: string;
  created: string;
  /** 1 when placed, +1 on every move; the relay is told it with the pull and reports it back. */
  epoch: number;
}

type Row = { name: string; uri: string; remote: string; relay: string; owner: string; created: string; epoch: number };
const toPull = (r: Row): StoredPull => ({
  uri: r.uri, remoteStreamName: r.remote, localStreamName: r.name, relay: r.relay, claim: r.owner, created: r.created, epoch: r.epoch,
});

export class NameClaims extends DurableObject {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
    this.sql = ctx.storage.sql;
    this.sql.exec('CREATE TABLE IF NOT EXISTS claims (name TEXT PRIMARY KEY, owner TEXT NOT NULL, created INTEGER NOT NULL)');
    this.sql.exec(`CREATE TABLE IF NOT EXISTS pulls (name TEXT PRIMARY KEY, uri TEXT NOT NULL, remote TEXT NOT NULL, relay TEXT NOT NULL,
      owner TEXT NOT NULL, created TEXT NOT NULL, epoch INTEGER NOT NULL)`);
    this.sql.exec('CREATE TABLE IF NOT EXISTS failing (relay TEXT PRIMARY KEY, since INTEGER NOT NULL)');
  }

  claim(name: string, owner: string): boolean {
    if (this.sql.exec('SELECT 1 FROM claims WHERE name = ?', name).toArray().length > 0) return false;
    this.sql.exec('INSERT INTO claims VALUES (?, ?, ?)', name, owner, Date.now());
    return true;
  }

  /** Releases only the holder's own claim (and its record), so a late cleanup cannot free someone else's name. */
  release(name: string, owner: string): boolean {
    this.sql.exec('DELETE FROM pulls WHERE name = ? AND owner = ?', name, owner);
    return this.sql.exec('DELETE FROM claims WHERE name = ? AND owner = ?', name, owner).rowsWritten > 0;
  }

  names(): string[] {
    return this.sql.exec<{ name: string }>('SELECT name FROM claims ORDER BY name').toArray().map((r) => r.name);
  }

  /** Records a placed pull under its claim; false when the claim is no longer the caller's. */
  commit(p: StoredPull): boolean {
    if (this.sql.exec('SELECT 1 FROM claims WHERE name = ? AND owner = ?', p.localStreamName, p.claim).toArray().length === 0) return false;
    this.sql.exec('INSERT OR REPLACE INTO pulls VALUES (?, ?, ?, ?, ?, ?, ?)',
      p.localStreamName, p.uri, p.remoteStreamName, p.relay, p.claim, p.created, p.epoch);
    return true;
  }

  get(name: string): StoredPull | null {
    const row = this.sql.exec<Row>('SELECT * FROM pulls WHERE name = ?', name).toArray()[0];
    return row ? toPull(row) : null;
  }

  list(): StoredPull[] {
    return this.sql.exec<Row>('SELECT * FROM pulls ORDER BY name').toArray().map(toPull);
  }

  /** Moves a pull from `from` at `epoch` to `to`: the new epoch, or null when someone moved or ended it first. */
  move(name: string, from: string, epoch: number, to: string): number | null {
    const moved = this.sql.exec('UPDATE pulls SET relay = ?, epoch = epoch + 1 WHERE name = ? AND relay = ? AND epoch = ?', to, name, from, epoch);
    return moved.rowsWritten > 0 ? epoch + 1 : null;
  }

  /** A relay failed a check at `now`: since when it has been failing (kept from its first failure). */
  failing(relay: string, now: number): number {
    this.sql.exec('INSERT OR IGNORE INTO failing VALUES (?, ?)', relay, now);
    return this.sql.exec<{ since: number }>('SELECT since FROM failing WHERE relay = ?', relay).one().since;
  }

  /** A relay answered: its failure clock starts again from zero. */
  answered(relay: string): void {
    this.sql.exec('DELETE FROM failing WHERE relay = ?', relay);
  }
}
