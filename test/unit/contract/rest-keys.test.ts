/** Named REST keys (contract/rest-keys.ts): what a key set accepts, who a header proves to be, and the CLI's keys. */
import { describe, expect, it } from 'vitest';
import { hashRestKey, RestKeys } from '../../../contract/rest-keys.ts';
import { makeRestKey } from '../../../scripts/rest-key.ts';

const basic = (name: string, key: string) => `Basic ${btoa(`${name}:${key}`)}`;
const keySet = async (entries: Record<string, { scopes: string[]; keys: string[] }>) => JSON.stringify(Object.fromEntries(
  await Promise.all(Object.entries(entries).map(async ([name, { scopes, keys }]) => [name, { scopes, hashes: await Promise.all(keys.map(hashRestKey)) }]))));

describe('REST keys', () => {
  it('a key proves its name and scopes, sent as Bearer or as Basic <name>:<key>', async () => {
    const keys = RestKeys.from(await keySet({ ops: { scopes: ['pull', 'stat'], keys: ['ops-key'] }, cdn: { scopes: ['metrics'], keys: ['cdn-key'] } }))!;
    for (const header of ['Bearer ops-key', 'bearer ops-key', basic('ops', 'ops-key'), `basic ${btoa('ops:ops-key')}`]) {
      const key = await keys.authenticate(header);
      expect(key?.name, header).toBe('ops');
      expect([...key!.scopes]).toEqual(['pull', 'stat']);
    }
    expect((await keys.authenticate('Bearer cdn-key'))?.name).toBe('cdn');
  });

  it('refuses a wrong key, a key under another name, a malformed header and no header', async () => {
    const keys = RestKeys.from(await keySet({ ops: { scopes: ['pull'], keys: ['ops-key'] }, cdn: { scopes: ['metrics'], keys: ['cdn-key'] } }))!;
    for (const header of [undefined, '', 'Bearer ops-ke', 'Bearer ops-key extra', 'ops-key', 'Token ops-key', basic('cdn', 'ops-key'),
      basic('ops', 'ops-ke'), `Basic ${btoa('ops-key')}`, 'Basic !!!', basic('', 'ops-key')]) {
      expect(await keys.authenticate(header), String(header)).toBeUndefined();
    }
  });

  it('rotation: both hashes of a name work; once the old one is removed, its key no longer does', async () => {
    const both = RestKeys.from(await keySet({ edge: { scopes: ['pull'], keys: ['old-key', 'new-key'] } }))!;
    expect((await both.authenticate('Bearer old-key'))?.name).toBe('edge');
    expect((await both.authenticate(basic('edge', 'new-key')))?.name).toBe('edge');
    const rotated = RestKeys.from(await keySet({ edge: { scopes: ['pull'], keys: ['new-key'] } }))!;
    expect(await rotated.authenticate('Bearer old-key')).toBeUndefined();
    expect((await rotated.authenticate('Bearer new-key'))?.name).toBe('edge');
  });

  it('the legacy single token is the key "legacy" with every scope, beside named keys or alone', async () => {
    const alone = RestKeys.from('', 'let-me-in')!;
    const key = await alone.authenticate('Bearer let-me-in');
    expect(key?.name).toBe('legacy');
    expect([...key!.scopes]).toEqual(['pull', 'push', 'terminate', 'record', 'stat', 'metrics', 'access', 'relays']);
    expect((await alone.authenticate(basic('legacy', 'let-me-in')))?.name).toBe('legacy');
    expect(await alone.authenticate('Bearer let-me-out')).toBeUndefined();
    const beside = RestKeys.from(await keySet({ ops: { scopes: ['stat'], keys: ['ops-key'] } }), 'let-me-in')!;
    expect((await beside.authenticate('Bearer let-me-in'))?.name).toBe('legacy');
    expect((await beside.authenticate('Bearer ops-key'))?.name).toBe('ops');
  });

  it('nothing configured is no key set at all (each edge decides what that means)', () => {
    expect(RestKeys.from('')).toBeUndefined();
    expect(RestKeys.from('  ')).toBeUndefined();
  });

  it('refuses a bad key set, saying what is wrong without repeating any hash', async () => {
    const hash = await hashRestKey('k');
    const cases: [string, RegExp][] = [
      ['{"ops": ', /not valid JSON/],
      ['{}', /names no key/], // not a way to run open by mistake
      ['["ops"]', /expected \{"<name>"/],
      [JSON.stringify({ ops: { scopes: ['pull', 'fly'], hashes: [hash] } }), /key "ops" scopes\.1: .*expected one of "pull"/],
      [JSON.stringify({ ops: { scopes: [], hashes: [hash] } }), /key "ops" scopes/],
      [JSON.stringify({ ops: { scopes: ['pull'], hashes: [hash, hash, hash] } }), /key "ops" hashes: at most two hashes per key/],
      [JSON.stringify({ ops: { scopes: ['pull'], hashes: [] } }), /key "ops" hashes/],
      [JSON.stringify({ ops: { scopes: ['pull'], hashes: [hash.toUpperCase().replace('SHA256', 'sha256')] } }), /a hash is "sha256:" and 64 lowercase hex/],
      [JSON.stringify({ ops: { scopes: ['pull'], hashes: ['md5:0123'] } }), /a hash is "sha256:"/],
      [JSON.stringify({ ops: { scopes: ['pull'], hashes: [hash], extra: 1 } }), /key "ops"/],
      [JSON.stringify({ 'a:b': { scopes: ['pull'], hashes: [hash] } }), /a key name is 1 to 64 letters/],
      [JSON.stringify({ legacy: { scopes: ['pull'], hashes: [hash] } }), /"legacy" is the name of the old single token/],
    ];
    for (const [json, message] of cases) {
      let error: Error | undefined;
      try { RestKeys.from(json); } catch (err) { error = err as Error; }
      expect(error?.name, json).toBe('RestKeysError');
      expect(error?.message, json).toMatch(message);
      expect(error?.message, json).not.toContain(hash.slice(7, 20));
    }
  });

  it('npm run key makes a random bearer-safe key whose printed entry admits it with the scopes asked for (all when none)', async () => {
    const { key, entry } = await makeRestKey('edge', ['pull', 'stat']);
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(entry).not.toContain(key);
    expect([...(await RestKeys.from(entry)!.authenticate(`Bearer ${key}`))!.scopes]).toEqual(['pull', 'stat']);
    expect((await makeRestKey('edge', [])).key).not.toBe(key);
    expect(JSON.parse((await makeRestKey('all', [])).entry).all.scopes).toHaveLength(8);
    await expect(makeRestKey('edge', ['fly'])).rejects.toThrow(/expected one of/);
  });
});
