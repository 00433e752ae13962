/**
 * The house rules a reviewer would check by hand: no import cycle (type-only imports count), no source
 * file over 300 lines. The same check by hand:
 *   node_modules/.bin/madge --circular --extensions ts --ts-config tsconfig.json relay/ contract/ worker/src/ scripts/
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import madge from 'madge';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE_DIRS = ['relay', 'contract', 'worker/src', 'scripts', 'test', 'bench'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

describe('architecture', () => {
  it('has no import cycle, counting type-only imports', async () => {
    const graph = await madge(['relay', 'contract', 'worker/src', 'scripts'].map((d) => join(root, d)), {
      baseDir: root, fileExtensions: ['ts'], tsConfig: join(root, 'tsconfig.json'), detectiveOptions: { ts: { skipTypeImports: false } },
    });
    // Type-only imports are in the graph: rest/app.ts reaches the relay only through `import type { RelayView }`.
    expect(graph.obj()['relay/rest/app.ts']).toContain('relay/rest/relay-view.ts');
    expect(graph.circular()).toEqual([]);
  }, 30_000);

  it('keeps every source file at 300 lines or fewer', () => {
    const long = SOURCE_DIRS.flatMap((d) => tsFiles(join(root, d)))
      .map((f) => [relative(root, f), readFileSync(f, 'utf8').split('\n').length] as const)
      .filter(([, lines]) => lines > 300);
    expect(long).toEqual([]);
  });
});
