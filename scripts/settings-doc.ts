/**
 * The settings table of docs/operations.md, generated from relay/config.ts (`settings`: every setting's environment
 * variable, flashphoner.properties key, default and meaning), so the page and the code cannot drift apart.
 *
 *   node --import tsx scripts/settings-doc.ts           rewrites the table between the markers
 *   node --import tsx scripts/settings-doc.ts --check   exits 1 when the page's table is not what the code says
 *
 * test/unit/settings-doc.test.ts runs the same check.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { settings } from '../relay/config.ts';

export const BEGIN = '<!-- settings:begin -->';
export const END = '<!-- settings:end -->';
/** The page the table lives in, from the repository root. */
export const PAGE = fileURLToPath(new URL('../docs/operations.md', import.meta.url));

interface Spec { env: string; property: string; default: unknown; doc: string }

/** A default as an operator would type it: ranges as `from-to`, lists comma-separated, nothing as (empty). */
export function formatDefault(value: unknown): string {
  if (Array.isArray(value)) return value.length ? value.join(',') : '(empty)';
  if (typeof value === 'object' && value !== null) {
    const r = value as { from: number; to: number };
    return `${r.from}-${r.to}`;
  }
  return value === '' ? '(empty)' : String(value);
}

/** A range's property names WCS's two keys (`media_port_from-media_port_to`): shown as the two keys. */
const formatProperty = (property: string) => (/_from-.+_to$/.test(property) ? property.replace('-', '` / `') : property);

/** A pipe ends a table cell even inside a code span (GitHub's tables): escaped, it renders as itself. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** The markdown table: one row per setting, in the order relay/config.ts declares them. */
export function settingsTable(specs: readonly Spec[] = Object.values(settings)): string {
  const rows = specs.map((s) =>
    `| \`${s.env}\` | \`${cell(formatProperty(s.property))}\` | \`${cell(formatDefault(s.default))}\` | ${cell(s.doc)} |`);
  return ['| environment | flashphoner.properties | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** `page` with the text between the markers replaced by the current table; throws when a marker is missing. */
export function withSettingsTable(page: string, table = settingsTable()): string {
  const begin = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`${PAGE} needs the markers ${BEGIN} and ${END}, in that order`);
  return `${page.slice(0, begin + BEGIN.length)}\n${table}\n${page.slice(end)}`;
}

function main(check: boolean): number {
  const page = readFileSync(PAGE, 'utf8');
  const wanted = withSettingsTable(page);
  if (wanted === page) {
    if (check) console.log(`settings-doc: ${PAGE} is up to date`);
    return 0;
  }
  if (check) {
    console.error(`settings-doc: the settings table in ${PAGE} differs from relay/config.ts; run: npm run docs:settings`);
    return 1;
  }
  writeFileSync(PAGE, wanted);
  console.log(`settings-doc: wrote ${Object.keys(settings).length} settings into ${PAGE}`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.includes('--check'));
}
