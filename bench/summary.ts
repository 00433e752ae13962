/**
 * The "Goals at a glance" table of bench/RESULTS.md, made from bench/goals.ts and the newest result of each
 * benchmark (bench/results/*.json, written by the benchmarks themselves and by a recorded fault-suite run).
 *   node --import tsx bench/summary.ts           rewrites the table between the markers (npm run bench:summary)
 *   node --import tsx bench/summary.ts --check   exits 1 when the table is not what the results say
 * test/unit/bench-summary.test.ts runs the same check.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goals, type Goal } from './goals.ts';
import type { BenchResult } from './report.ts';

export const BEGIN = '<!-- goals:begin (made by npm run bench:summary from bench/results; do not edit) -->';
export const END = '<!-- goals:end -->';
const benchDir = fileURLToPath(new URL('.', import.meta.url));
export const PAGE = join(benchDir, 'RESULTS.md');
export const RESULTS = join(benchDir, 'results');

export function readResults(dir = RESULTS): Map<string, BenchResult> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  return new Map(files.map((f) => [f.slice(0, -'.json'.length), JSON.parse(readFileSync(join(dir, f), 'utf8')) as BenchResult]));
}

export function formatFigure(value: number, unit: string): string {
  const digits = Math.abs(value) >= 100 || Number.isInteger(value) ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

export type Verdict = 'met' | '**missed**' | 'reported' | 'no result';

export function verdict(goal: Goal, value: number | undefined, baseline: number | undefined): Verdict {
  if (value === undefined) return 'no result';
  if (goal.atMostBaseline) return baseline === undefined ? 'no result' : value <= baseline ? 'met' : '**missed**';
  if (goal.max === undefined && goal.min === undefined) return 'reported';
  return (goal.max === undefined || value <= goal.max) && (goal.min === undefined || value >= goal.min) ? 'met' : '**missed**';
}

const cell = (text: string) => text.replaceAll('|', '\\|');

export function goalsTable(results: Map<string, BenchResult>, list: readonly Goal[] = goals): string {
  const rows = list.map((g) => {
    const r = results.get(g.result);
    const value = r?.figures[g.figure];
    const base = g.baseline ? r?.baseline?.figures[g.baseline] : undefined;
    const measured = value === undefined ? '—' : formatFigure(value, g.unit);
    const beside = base === undefined ? '' : `${formatFigure(base, g.unit)}: ${r!.baseline!.what}`;
    const run = r ? `\`${g.result}\` ${r.date.slice(0, 10)} ${r.commit}` : `\`${g.result}\`: none yet`;
    return `| ${cell(g.goal)}${g.issue ? ` (#${g.issue})` : ''} | ${measured} | ${cell(beside)} | ${run} | ${verdict(g, value, base)} |`;
  });
  return ['| goal | measured | the same run\'s baseline | result, date, commit | verdict |', '|---|---|---|---|---|', ...rows].join('\n');
}

export function withGoalsTable(page: string, table: string): string {
  const from = page.indexOf(BEGIN);
  const to = page.indexOf(END);
  if (from < 0 || to < from) throw new Error(`${PAGE} has no ${BEGIN} … ${END} markers`);
  return `${page.slice(0, from + BEGIN.length)}\n${table}\n${page.slice(to)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const page = readFileSync(PAGE, 'utf8');
  const next = withGoalsTable(page, goalsTable(readResults()));
  if (process.argv.includes('--check')) {
    if (next !== page) {
      console.error('bench-summary: the goals table in bench/RESULTS.md differs from bench/results; run: npm run bench:summary');
      process.exit(1);
    }
    console.log('bench-summary: bench/RESULTS.md is up to date');
  } else {
    writeFileSync(PAGE, next);
    console.log(`bench-summary: ${goals.length} goals written into bench/RESULTS.md`);
  }
}
