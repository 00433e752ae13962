/**
 * docs/operations.md's settings table is generated from relay/config.ts (scripts/settings-doc.ts): this fails when
 * a setting was added, renamed or redocumented without regenerating the page (`npm run docs:settings`).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { settings } from '../../relay/config.ts';
import { BEGIN, END, PAGE, formatDefault, settingsTable, withSettingsTable } from '../../scripts/settings-doc.ts';

describe('settings table in docs/operations.md', () => {
  const page = readFileSync(PAGE, 'utf8');

  it('is what relay/config.ts says (else run: npm run docs:settings)', () => {
    expect(page).toContain(BEGIN);
    expect(page).toContain(END);
    expect(withSettingsTable(page)).toBe(page);
  });

  it('has one row per setting, each naming its environment variable', () => {
    const rows = settingsTable().split('\n').slice(2);
    expect(rows).toHaveLength(Object.keys(settings).length);
    for (const spec of Object.values(settings)) expect(rows.some((r) => r.startsWith(`| \`${spec.env}\` |`))).toBe(true);
  });

  it('writes defaults as an operator types them and keeps pipes inside their cell', () => {
    expect(formatDefault({ from: 31001, to: 32000 })).toBe('31001-32000');
    expect(formatDefault(['opus', 'vp8'])).toBe('opus,vp8');
    expect(formatDefault([])).toBe('(empty)');
    expect(formatDefault('')).toBe('(empty)');
    expect(formatDefault(false)).toBe('false');
    const table = settingsTable([{ env: 'X', property: 'a_from-a_to', default: 1, doc: 'one | two' }]);
    expect(table.split('\n')[2]).toBe('| `X` | `a_from` / `a_to` | `1` | one \\| two |');
  });

  it('refuses a page without its markers', () => {
    expect(() => withSettingsTable('no markers here')).toThrow(/markers/);
  });
});
