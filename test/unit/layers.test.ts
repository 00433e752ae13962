/**
 * relay/'s folders import one way: each unit (a folder, or a file at relay/'s top) may import its own files and
 * those of lower ranks only, never a unit of its own rank or above (type-only imports count: a type is a
 * dependency for the reader too). Why each rank sits where it does: docs/architecture.md, "Layers".
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import madge from 'madge';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Lowest first. */
export const RANKS: readonly (readonly string[])[] = [
  ['properties.ts', 'settings.ts', 'log.ts', 'backoff.ts', 'stop-child.ts', 'node-args.ts'],
  ['config.ts'],
  ['machine.ts', 'webhooks'],
  ['host', 'sdp', 'access', 'edge-link'],
  ['media'],
  ['janus'],
  ['wcs'],
  ['streams'],
  ['context.ts'],
  ['webrtc', 'sources', 'outputs'],
  ['wish', 'wcs-server'],
  ['rest'],
  ['relay.ts', 'requirements.ts'],
  ['main.ts'],
];

/** relay/x/y.ts → x; relay/z.ts → z.ts; outside relay/ → undefined. */
const unitOf = (file: string) => {
  const parts = file.split('/');
  if (parts[0] !== 'relay') return undefined;
  return parts.length > 2 ? parts[1]! : parts[1]!;
};
const rankOf = (unit: string) => RANKS.findIndex((r) => r.includes(unit));

describe('layers', () => {
  it('every unit of relay/ has a rank', async () => {
    const graph = (await madge(join(root, 'relay'), { baseDir: root, fileExtensions: ['ts'], tsConfig: join(root, 'tsconfig.json'),
      detectiveOptions: { ts: { skipTypeImports: false } } })).obj();
    const unranked = [...new Set(Object.keys(graph).map(unitOf).filter((u): u is string => !!u && rankOf(u) < 0 && !u.endsWith('.d.ts')))];
    expect(unranked).toEqual([]);
  }, 30_000);

  it('no import runs up the ranks or across to a peer, type-only imports included', async () => {
    const graph = (await madge(join(root, 'relay'), { baseDir: root, fileExtensions: ['ts'], tsConfig: join(root, 'tsconfig.json'),
      detectiveOptions: { ts: { skipTypeImports: false } } })).obj();
    const wrong: string[] = [];
    for (const [file, deps] of Object.entries(graph)) {
      const from = unitOf(file);
      if (!from || rankOf(from) < 0) continue;
      for (const dep of deps) {
        const to = unitOf(dep);
        if (!to || to === from || rankOf(to) < 0) continue;
        if (rankOf(to) >= rankOf(from)) wrong.push(`${file} → ${dep}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 30_000);
});
