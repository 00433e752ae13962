/**
 * The edge's one consistent place, a SQLite-backed Durable Object that serialises everything: name claims (of N
 * racing requests for a name exactly one gets it; KV alone gave 20 winners out of 20 here), each pull's record, its
 * placements (one per replica: a relay and an epoch that grows on every move, moved by compare-and-set, so two
 * reconcile runs cannot both move one), and since when each relay has been failing. find_all reads it all in one call.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Revocation } from '../../contract/access.ts';
import type { JoinRequest, RelayLoad } from '../../contract/membership.ts';

export interface Placement { relay: string; epoch: number }

/** A pull as the edge keeps it: what was asked for, and where its replicas run since which move. */
export interface StoredPull {
  uri: string;
  remoteStreamName: string;
  localStreamName: string;
  /** The claim owner token; releasing the name needs it. */
  claim: string;
  created: string;
  /** How many relays should run it. */
  replicas: number;
  /** Where it runs, in the order placed; the first is the primary. Epoch 1 when placed, +1 on every move. */
  placements: Placement[];
}

type PullRow = { name: string; uri: string; remote: string; owner: string; created: string; replicas: number };
type PlacementRow = { name: string; relay: string; epoch: number };

const SCHEMA_VERSION = 2;

export class EdgeState extends DurableObject {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
    this.sql = ctx.storage.sql;
    this.sql.exec('CREATE TABLE IF NOT EXISTS claims (name TEXT PRIMARY KEY, owner TEXT NOT NULL, created INTEGER NOT NULL)');
    this.sql.exec('CREATE TABLE IF NOT EXISTS failing (relay TEXT PRIMARY KEY, since INTEGER NOT NULL)');
    this.sql.exec('CREATE TABLE IF NOT EXISTS revocations (kind TEXT NOT NULL, value TEXT NOT NULL, at INTEGER NOT NULL, until INTEGER NOT NULL, PRIMARY KEY (kind, value))');
    this.sql.exec(`CREATE TABLE IF NOT EXISTS members (id TEXT PRIMARY KEY, url TEXT NOT NULL, hls TEXT, region TEXT NOT NULL,
      capacity INTEGER, credential TEXT NOT NULL, next_credential TEXT, joined INTEGER NOT NULL, seen INTEGER NOT NULL, load TEXT,
      draining INTEGER NOT NULL DEFAULT 0)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS copies (name TEXT NOT NULL, relay TEXT NOT NULL, parent TEXT NOT NULL, epoch INTEGER NOT NULL,
      warm INTEGER NOT NULL, last_viewer INTEGER NOT NULL, PRIMARY KEY (name, relay))`);
    this.migrate();
  }

  /**
   * v1 kept one relay and epoch on each pull row; v2 keeps a placement row per replica. The version lives in a
   * table: a Durable Object's SQLite refuses `PRAGMA user_version` (SQLITE_AUTH).
   */
  private migrate(): void {
    this.sql.exec('CREATE TABLE IF NOT EXISTS schema (version INTEGER NOT NULL)');
    const version = this.sql.exec<{ version: number }>('SELECT version FROM schema').toArray()[0]?.version ?? 0;
    if (version >= SCHEMA_VERSION) return;
    const hadV1 = this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pulls'").toArray().length > 0;
    if (hadV1) this.sql.exec('ALTER TABLE pulls RENAME TO pulls_v1');
    this.sql.exec(`CREATE TABLE pulls (name TEXT PRIMARY KEY, uri TEXT NOT NULL, remote TEXT NOT NULL, owner TEXT NOT NULL,
      created TEXT NOT NULL, replicas INTEGER NOT NULL)`);
    this.sql.exec('CREATE TABLE IF NOT EXISTS placements (name TEXT NOT NULL, relay TEXT NOT NULL, epoch INTEGER NOT NULL, PRIMARY KEY (name, relay))');
    if (hadV1) {
      this.sql.exec('INSERT INTO pulls SELECT name, uri, remote, owner, created, 1 FROM pulls_v1');
      this.sql.exec('INSERT OR IGNORE INTO placements SELECT name, relay, epoch FROM pulls_v1');
      this.sql.exec('DROP TABLE pulls_v1');
    }
    this.sql.exec('DELETE FROM schema');
    this.sql.exec('INSERT INTO schema VALUES (?)', SCHEMA_VERSION);
  }

  claim(name: string, owner: string): boolean {
    if (this.sql.exec('SELECT 1 FROM claims WHERE name = ?', name).toArray().length > 0) return false;
    this.sql.exec('INSERT INTO claims VALUES (?, ?, ?)', name, owner, Date.now());
    return true;
  }

  /** Releases only the holder's own claim (and its record), so a late cleanup cannot free someone else's name. */
  release(name: string, owner: string): boolean {
    if (this.sql.exec('DELETE FROM pulls WHERE name = ? AND owner = ?', name, owner).rowsWritten > 0) {
      this.sql.exec('DELETE FROM placements WHERE name = ?', name);
      this.sql.exec('DELETE FROM copies WHERE name = ?', name);
    }
    return this.sql.exec('DELETE FROM claims WHERE name = ? AND owner = ?', name, owner).rowsWritten > 0;
  }

  names(): string[] {
    return this.sql.exec<{ name: string }>('SELECT name FROM claims ORDER BY name').toArray().map((r) => r.name);
  }

  /** Records a placed pull under its claim; false when the claim is no longer the caller's. */
  commit(p: StoredPull): boolean {
    if (this.sql.exec('SELECT 1 FROM claims WHERE name = ? AND owner = ?', p.localStreamName, p.claim).toArray().length === 0) return false;
    this.sql.exec('INSERT OR REPLACE INTO pulls VALUES (?, ?, ?, ?, ?, ?)', p.localStreamName, p.uri, p.remoteStreamName, p.claim, p.created, p.replicas);
    this.sql.exec('DELETE FROM placements WHERE name = ?', p.localStreamName);
    for (const pl of p.placements) this.sql.exec('INSERT INTO placements VALUES (?, ?, ?)', p.localStreamName, pl.relay, pl.epoch);
    return true;
  }

  get(name: string): StoredPull | null {
    const row = this.sql.exec<PullRow>('SELECT * FROM pulls WHERE name = ?', name).toArray()[0];
    if (!row) return null;
    return toPull(row, this.sql.exec<PlacementRow>('SELECT * FROM placements WHERE name = ? ORDER BY rowid', name).toArray());
  }

  list(): StoredPull[] {
    const placements = new Map<string, PlacementRow[]>();
    for (const p of this.sql.exec<PlacementRow>('SELECT * FROM placements ORDER BY rowid')) {
      const list = placements.get(p.name) ?? [];
      list.push(p);
      placements.set(p.name, list);
    }
    return this.sql.exec<PullRow>('SELECT * FROM pulls ORDER BY name').toArray().map((r) => toPull(r, placements.get(r.name) ?? []));
  }

  /** Moves one replica from `from` at `epoch` to `to`: the new epoch, or null when someone moved or ended it first. */
  move(name: string, from: string, epoch: number, to: string): number | null {
    if (this.sql.exec('SELECT 1 FROM placements WHERE name = ? AND relay = ?', name, to).toArray().length > 0) return null;
    const moved = this.sql.exec('UPDATE placements SET relay = ?, epoch = epoch + 1 WHERE name = ? AND relay = ? AND epoch = ?', to, name, from, epoch);
    return moved.rowsWritten > 0 ? epoch + 1 : null;
  }

  /** Adds a replica on `relay` (a pull short of its replicas); false when it is there already or the pull is gone. */
  add(name: string, relay: string, epoch: number): boolean {
    if (this.sql.exec('SELECT 1 FROM pulls WHERE name = ?', name).toArray().length === 0) return false;
    return this.sql.exec('INSERT OR IGNORE INTO placements VALUES (?, ?, ?)', name, relay, epoch).rowsWritten > 0;
  }

  /** A relay failed a check at `now`: since when it has been failing (kept from its first failure). */
  failing(relay: string, now: number): number {
    this.sql.exec('INSERT OR IGNORE INTO failing VALUES (?, ?)', relay, now);
    return this.sql.exec<{ since: number }>('SELECT since FROM failing WHERE relay = ?', relay).one().since;
  }

  /** Keeps a revocation (the newest of one kind and value wins) so a relay that restarts gets it again. */
  revoke(r: Revocation): void {
    const [kind, value] = r.sub !== undefined ? ['sub', r.sub] : r.jti !== undefined ? ['jti', r.jti] : ['stream', r.stream!];
    this.sql.exec('INSERT OR REPLACE INTO revocations VALUES (?, ?, ?, MAX(?, COALESCE((SELECT until FROM revocations WHERE kind = ? AND value = ?), 0)))',
      kind, value, r.at, r.until, kind, value);
  }

  /** The revocations still in force at `now` (expired ones are dropped). */
  revocations(now: number): Revocation[] {
    this.sql.exec('DELETE FROM revocations WHERE until <= ?', now);
    return this.sql.exec<{ kind: string; value: string; at: number; until: number }>('SELECT * FROM revocations ORDER BY at').toArray()
      .map((r) => ({ [r.kind]: r.value, at: r.at, until: r.until }));
  }

  /** A relay answered: its failure clock starts again from zero. */
  answered(relay: string): void {
    this.sql.exec('DELETE FROM failing WHERE relay = ?', relay);
  }

  /**
   * A relay joins, or joins again after a restart: its new credential replaces any earlier one, and a drained relay
   * stays draining. A live member's id is not taken by a relay at another URL (`taken`: that URL).
   */
  join(m: JoinRequest, credential: string, now: number, expireMs: number): { rejoined: boolean; taken?: string } {
    const old = this.sql.exec<MemberRow>('SELECT * FROM members WHERE id = ?', m.id).toArray()[0];
    if (old && old.url !== m.url && old.seen >= now - expireMs) return { rejoined: true, taken: old.url };
    this.sql.exec('INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL, ?)',
      m.id, m.url, m.hls ?? null, m.region, m.capacity ?? null, credential, now, now, old?.draining ?? 0);
    return { rejoined: old !== undefined };
  }

  /**
   * A heartbeat with `credential`: unknown (never joined, left, or a wrong credential) → null; else the member's
   * state, and the on-demand copies of its relay dropped as idle (`idleCopies`). A heartbeat with the
   * rotated credential makes it the only one. `lastSeen` tells the caller whether the relay had been counted gone.
   */
  heartbeat(id: string, credential: string, load: RelayLoad, now: number, idleMs: number): { draining: boolean; next?: string; lastSeen: number; drop: string[] } | null {
    const row = this.sql.exec<MemberRow>('SELECT * FROM members WHERE id = ?', id).toArray()[0];
    if (!row || (credential !== row.credential && credential !== row.next_credential)) return null;
    if (credential === row.next_credential) this.sql.exec('UPDATE members SET credential = next_credential, next_credential = NULL WHERE id = ?', id);
    this.sql.exec('UPDATE members SET seen = ?, load = ? WHERE id = ?', now, JSON.stringify(load), id);
    const pending = credential === row.next_credential ? undefined : row.next_credential ?? undefined;
    // In the same call, so a heartbeat is one trip into the object: the copies it watched, and those idle past idleMs.
    const watched = Object.entries(load.streams ?? {}).filter(([, st]) => st.viewers > 0).map(([name]) => name);
    return { draining: row.draining === 1, next: pending, lastSeen: row.seen, drop: this.idleCopies(id, watched, now, idleMs) };
  }

  /** The member's credential, to check a call it makes about itself; null when it is not a member. */
  credentialsOf(id: string): string[] | null {
    const row = this.sql.exec<MemberRow>('SELECT * FROM members WHERE id = ?', id).toArray()[0];
    return row ? [row.credential, ...(row.next_credential ? [row.next_credential] : [])] : null;
  }

  /** Starts a rotation: the next heartbeat hands `next` to the relay. False when there is no such member. */
  rotate(id: string, next: string): boolean {
    return this.sql.exec('UPDATE members SET next_credential = ? WHERE id = ?', next, id).rowsWritten > 0;
  }

  drain(id: string): boolean {
    return this.sql.exec('UPDATE members SET draining = 1 WHERE id = ?', id).rowsWritten > 0;
  }

  leave(id: string): boolean {
    this.sql.exec('DELETE FROM failing WHERE relay = ?', id);
    return this.sql.exec('DELETE FROM members WHERE id = ?', id).rowsWritten > 0;
  }

  /** Every member, each with whether it heartbeat within `expireMs` of `now`. */
  members(now: number, expireMs: number): StoredMember[] {
    return this.sql.exec<MemberRow>('SELECT * FROM members ORDER BY id').toArray().map((r) => ({
      id: r.id, url: r.url, hls: r.hls ?? undefined, region: r.region, capacity: r.capacity ?? undefined, credential: r.credential,
      joined: r.joined, seen: r.seen, load: r.load ? JSON.parse(r.load) as RelayLoad : undefined,
      state: r.seen < now - expireMs ? 'gone' : r.draining === 1 ? 'draining' : 'active',
    }));
  }

  /**
   * Adds an on-demand copy of `name` on `relay` pulling from `parent`, if the pull exists, the relay holds no copy or
   * replica of it, and `parent` (a replica or a copy) feeds fewer than `fanout` copies: the check and the insert are
   * one step, so racing viewers cannot give a parent more.
   */
  addCopy(name: string, relay: string, parent: string, fanout: number, warm: boolean, now: number, live?: string[]): boolean {
    if (this.sql.exec('SELECT 1 FROM pulls WHERE name = ?', name).toArray().length === 0) return false;
    const taken = this.sql.exec('SELECT 1 FROM placements WHERE name = ? AND relay = ? UNION SELECT 1 FROM copies WHERE name = ? AND relay = ?', name, relay, name, relay);
    if (taken.toArray().length > 0) return false;
    const parentHolds = this.sql.exec('SELECT 1 FROM placements WHERE name = ? AND relay = ? UNION SELECT 1 FROM copies WHERE name = ? AND relay = ?', name, parent, name, parent);
    if (parentHolds.toArray().length === 0) return false;
    // Children on relays that are gone (not in `live`) pull nothing: they do not take a place until reconciliation drops them.
    const children = this.sql.exec<{ relay: string }>('SELECT relay FROM copies WHERE name = ? AND parent = ?', name, parent).toArray();
    if (children.filter((c) => !live || live.includes(c.relay)).length >= fanout) return false;
    this.sql.exec('INSERT INTO copies VALUES (?, ?, ?, 1, ?, ?)', name, relay, parent, warm ? 1 : 0, now);
    return true;
  }

  copies(name?: string): StoredCopy[] {
    const rows = name === undefined ? this.sql.exec<CopyRow>('SELECT * FROM copies ORDER BY name, rowid') : this.sql.exec<CopyRow>('SELECT * FROM copies WHERE name = ? ORDER BY rowid', name);
    return rows.toArray().map((r) => ({ name: r.name, relay: r.relay, parent: r.parent, epoch: r.epoch, warm: r.warm === 1, lastViewer: r.last_viewer }));
  }

  /**
   * Moves a copy under another parent (compare-and-set on the old one): its new epoch, or null. `dead`: relays whose
   * copies do not count against the new parent's fanout (they are gone; their own children re-parent too).
   */
  reparent(name: string, relay: string, from: string, to: string, fanout: number, dead: string[] = []): number | null {
    const children = this.sql.exec<{ relay: string }>('SELECT relay FROM copies WHERE name = ? AND parent = ?', name, to).toArray();
    if (children.filter((c) => !dead.includes(c.relay)).length >= fanout) return null;
    // Two siblings re-parenting at once could each pick the other: never under a copy that is below this one.
    const parentOf = new Map(this.sql.exec<{ relay: string; parent: string }>('SELECT relay, parent FROM copies WHERE name = ?', name).toArray().map((c) => [c.relay, c.parent]));
    for (let at: string | undefined = to, hops = 0; at !== undefined && hops <= parentOf.size; at = parentOf.get(at), hops += 1) if (at === relay) return null;
    const moved = this.sql.exec('UPDATE copies SET parent = ?, epoch = epoch + 1 WHERE name = ? AND relay = ? AND parent = ?', to, name, relay, from);
    if (moved.rowsWritten === 0) return null;
    return this.sql.exec<{ epoch: number }>('SELECT epoch FROM copies WHERE name = ? AND relay = ?', name, relay).one().epoch;
  }

  /** A copy listed in WARM_STREAMS, or no longer (then the idle rule applies to it again). */
  setWarm(name: string, relay: string, warm: boolean): void {
    this.sql.exec('UPDATE copies SET warm = ?, last_viewer = MAX(last_viewer, ?) WHERE name = ? AND relay = ?', warm ? 1 : 0, Date.now(), name, relay);
  }

  removeCopy(name: string, relay: string): boolean {
    return this.sql.exec('DELETE FROM copies WHERE name = ? AND relay = ?', name, relay).rowsWritten > 0;
  }

  /**
   * A relay's heartbeat: its copies with viewers were watched at `now`; those of its on-demand copies that feed no
   * copy and had no viewer for `idleMs` are removed and returned (the relay stops them).
   */
  idleCopies(relay: string, watched: string[], now: number, idleMs: number): string[] {
    for (const name of watched) this.sql.exec('UPDATE copies SET last_viewer = ? WHERE name = ? AND relay = ?', now, name, relay);
    const idle = this.sql.exec<{ name: string }>(`SELECT name FROM copies c WHERE relay = ? AND warm = 0 AND last_viewer < ?
      AND NOT EXISTS (SELECT 1 FROM copies k WHERE k.name = c.name AND k.parent = c.relay)`, relay, now - idleMs).toArray().map((r) => r.name);
    for (const name of idle) this.sql.exec('DELETE FROM copies WHERE name = ? AND relay = ?', name, relay);
    return idle;
  }
}

type CopyRow = { name: string; relay: string; parent: string; epoch: number; warm: number; last_viewer: number };

/** A copy of a pulled stream on a relay that pulls it from another relay's copy or replica (the CDN's tree). */
export interface StoredCopy { name: string; relay: string; parent: string; epoch: number; warm: boolean; lastViewer: number }

type MemberRow = { id: string; url: string; hls: string | null; region: string; capacity: number | null; credential: string;
  next_credential: string | null; joined: number; seen: number; load: string | null; draining: number };

/** A relay that joined, as the edge keeps it. */
export interface StoredMember {
  id: string; url: string; hls?: string; region: string; capacity?: number; credential: string;
  joined: number; seen: number; load?: RelayLoad; state: 'active' | 'draining' | 'gone';
}

function toPull(r: PullRow, placements: PlacementRow[]): StoredPull {
  return {
    uri: r.uri, remoteStreamName: r.remote, localStreamName: r.name, claim: r.owner, created: r.created, replicas: r.replicas,
    placements: placements.map((p) => ({ relay: p.relay, epoch: p.epoch })),
  };
}
