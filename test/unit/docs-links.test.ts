/**
 * Every link in README.md and docs/**.md stays inside the repository: a relative path to a file (or folder) that
 * exists. No http(s) links to other sites (name an upstream project in plain text), no absolute paths, nothing
 * outside the checkout (no ../shared). URLs inside code spans and code blocks are text, not links, so a
 * `http://localhost:8080/` to open is written as code. Anchors (`#…`) are not checked.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function markdownUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownUnder(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

const pages = () => [join(root, 'README.md'), ...markdownUnder(join(root, 'docs'))];

/** Code blocks and code spans blanked out (newlines kept, so offsets still give line numbers). */
export function withoutCode(text: string): string {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  const lines = text.split('\n');
  let fence: string | undefined;
  const out = lines.map((line) => {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (m && m[1]![0] === fence[0] && m[1]!.length >= fence.length && line.trim() === m[1]) fence = undefined;
      return blank(line);
    }
    if (m) { fence = m[1]; return blank(line); }
    return line;
  }).join('\n');
  return out.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (span) => blank(span));
}

export interface Link { line: number; target: string }

/** Inline links and images `[text](target "title")`, reference definitions `[id]: target`, autolinks `<scheme:…>`. */
export function linksIn(text: string): Link[] {
  const prose = withoutCode(text);
  const lineAt = (index: number) => prose.slice(0, index).split('\n').length;
  const found: Link[] = [];
  for (const m of prose.matchAll(/!?\[[^\]]*\]\(\s*(<[^>]*>|[^)\s]*)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g)) {
    found.push({ line: lineAt(m.index!), target: m[1]!.replace(/^<|>$/g, '') });
  }
  for (const m of prose.matchAll(/^ {0,3}\[[^\]]+\]:\s*(\S+)/gm)) found.push({ line: lineAt(m.index!), target: m[1]!.replace(/^<|>$/g, '') });
  for (const m of prose.matchAll(/<([a-z][a-z0-9+.-]*:[^>\s]*)>/gi)) found.push({ line: lineAt(m.index!), target: m[1]! });
  return found;
}

/** Why `target`, linked from `file`, is not allowed; undefined when it is fine. */
export function problemWith(file: string, target: string): string | undefined {
  if (target === '') return 'empty link target';
  if (target.startsWith('#')) return undefined;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return 'links outside the repository (name the project in plain text, or use a code span)';
  if (target.startsWith('/')) return 'absolute path (use a path relative to this file)';
  let path: string;
  try {
    path = decodeURIComponent(target.replace(/[#?].*$/, ''));
  } catch {
    return 'not a valid URL path';
  }
  const to = resolve(dirname(file), path);
  const inRepo = relative(root, to);
  if (inRepo.startsWith('..') || isAbsolute(inRepo)) return 'points outside the repository';
  if (!existsSync(to)) return `no such file: ${inRepo}`;
  return undefined;
}

/** Bare http(s) URLs in prose: GitHub turns them into links too. */
export function bareUrls(text: string): Link[] {
  const prose = withoutCode(text);
  return [...prose.matchAll(/https?:\/\/[^\s)>\]]+/g)].map((m) => ({ line: prose.slice(0, m.index).split('\n').length, target: m[0] }));
}

describe('links in README.md and docs/', () => {
  it('finds the pages and the links between them', () => {
    const files = pages().map((f) => relative(root, f));
    for (const page of ['README.md', 'docs/architecture.md', 'docs/operations.md', 'docs/testing.md', 'docs/api/rest.md',
      'docs/api/wcs-websocket.md', 'docs/api/whip-whep.md', 'docs/api/hls.md', 'docs/api/statistics.md']) {
      expect(files).toContain(page);
    }
    const readmeLinks = linksIn(readFileSync(join(root, 'README.md'), 'utf8')).map((l) => l.target);
    expect(readmeLinks.some((t) => t.startsWith('docs/'))).toBe(true);
  });

  it.each(pages().map((f) => [relative(root, f), f] as const))('%s links only to files in the repository', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const problems = [
      ...linksIn(text).map((l) => ({ ...l, why: problemWith(file, l.target) })).filter((p) => p.why !== undefined),
      ...bareUrls(text).map((l) => ({ ...l, why: 'a bare URL in prose (GitHub links it): put it in a code span' })),
    ].map((p) => `line ${p.line}: ${p.target} — ${p.why}`);
    expect(problems).toEqual([]);
  });

  it('the checker itself: code is not a link, and every bad kind of target is caught', () => {
    const file = join(root, 'docs', 'page.md');
    const text = [
      'See [ops](operations.md) and [a section](#here).',
      '`[not a link](http://localhost:8080/)` and',
      '```sh', 'curl http://localhost:8080/health', '[neither](https://example.com)', '```',
      '[upstream](https://example.com) [abs](/etc/passwd) [out](../../shared/ARCHITECTURE.md) [gone](nope.md)',
      'Open http://example.com/ or <https://example.org>.',
    ].join('\n');
    const links = linksIn(text);
    expect(links.map((l) => l.target)).toEqual(['operations.md', '#here', 'https://example.com', '/etc/passwd',
      '../../shared/ARCHITECTURE.md', 'nope.md', 'https://example.org']);
    expect(links.map((l) => l.line)).toEqual([1, 1, 7, 7, 7, 7, 8]);
    expect(problemWith(file, '#here')).toBeUndefined();
    expect(problemWith(file, '../README.md')).toBeUndefined();
    expect(problemWith(file, 'https://example.com')).toMatch(/outside the repository/);
    expect(problemWith(file, '/etc/passwd')).toMatch(/absolute/);
    expect(problemWith(file, '../../shared/ARCHITECTURE.md')).toMatch(/outside the repository/);
    expect(problemWith(file, 'nope.md')).toMatch(/no such file/);
    expect(bareUrls(text).map((l) => l.target)).toEqual(['https://example.com', 'http://example.com/', 'https://example.org']);
  });
});
