/**
 * Name claims in a Durable Object: one object serialises every claim, so of N racing requests for a
 * name exactly one gets it (KV alone gave 20 winners out of 20 here). SQLite-backed, Free-plan class.
 */
import { DurableObject } from 'cloudflare:workers';

export class NameClaims extends DurableObject {
  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS claims (name TEXT PRIMARY KEY, owner TEXT NOT NULL, created INTEGER NOT NULL)');
  }

  claim(name: string, owner: string): boolean {
    if (this.ctx.storage.sql.exec('SELECT 1 FROM claims WHERE name = ?', name).toArray().length > 0) return false;
    this.ctx.storage.sql.exec('INSERT INTO claims VALUES (?, ?, ?)', name, owner, Date.now());
    return true;
  }

  /** Releases only the holder's own claim, so a late cleanup cannot free someone else's name. */
  release(name: string, owner: string): boolean {
    return this.ctx.storage.sql.exec('DELETE FROM claims WHERE name = ? AND owner = ?', name, owner).rowsWritten > 0;
  }

  names(): string[] {
    return this.ctx.storage.sql.exec<{ name: string }>('SELECT name FROM claims ORDER BY name').toArray().map((r) => r.name);
  }
}
