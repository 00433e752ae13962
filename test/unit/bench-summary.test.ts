/**
 * bench/RESULTS.md's "Goals at a glance" is made from bench/goals.ts and bench/results/*.json (bench/summary.ts):
 * this fails when a result or a goal changed without regenerating the table (`npm run bench:summary`), and when a
 * goal reads a figure its result does not have.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { goals, type Goal } from '../../bench/goals.ts';
import type { BenchResult } from '../../bench/report.ts';
import { PAGE, formatFigure, goalsTable, readResults, verdict, withGoalsTable } from '../../bench/summary.ts';

const result = (figures: Record<string, number>, baseline?: Record<string, number>): BenchResult => ({
  bench: 'B0', variant: '', command: 'x', date: '2026-12-02T10:00:00.000Z', commit: 'abc1234', conditions: '',
  machine: { cpu: 'c', cores: 2, memGiB: 24, kernel: 'k', node: 'v24', janus: 'j' }, figures, tables: [],
  ...(baseline ? { baseline: { what: 'a werift agent', figures: baseline } } : {}),
});

describe('the goals table of bench/RESULTS.md', () => {
  const results = readResults();

  it('is what bench/results says (else run: npm run bench:summary)', () => {
    const page = readFileSync(PAGE, 'utf8');
    expect(withGoalsTable(page, goalsTable(results))).toBe(page);
  });

  it('every goal reads a figure its result has, and every result names where it came from', () => {
    for (const g of goals) {
      const r = results.get(g.result);
      expect(r, `bench/results/${g.result}.json`).toBeDefined();
      expect(r!.figures[g.figure], `${g.result}: ${g.figure}`).toBeTypeOf('number');
      if (g.baseline || g.atMostBaseline) expect(r!.baseline?.figures[g.baseline!], `${g.result} baseline: ${g.baseline}`).toBeTypeOf('number');
    }
    for (const [name, r] of results) expect([name, r.date, r.commit, r.command].every(Boolean), name).toBe(true);
  });
});

describe('verdicts', () => {
  const goal = (g: Partial<Goal>): Goal => ({ goal: 'g', result: 'b0', figure: 'x', unit: 'ms', ...g });

  it('compares with the bound, with the same run\'s baseline, or only reports', () => {
    expect(verdict(goal({ max: 500 }), 400, undefined)).toBe('met');
    expect(verdict(goal({ max: 500 }), 501, undefined)).toBe('**missed**');
    expect(verdict(goal({ min: 500 }), 499, undefined)).toBe('**missed**');
    expect(verdict(goal({ atMostBaseline: true }), 2.4, 3.9)).toBe('met');
    expect(verdict(goal({ atMostBaseline: true }), 4, 3.9)).toBe('**missed**');
    expect(verdict(goal({}), 4, undefined)).toBe('reported');
    expect(verdict(goal({ max: 1 }), undefined, undefined)).toBe('no result');
  });

  it('shows the figure, the baseline beside it, and which run it came from', () => {
    const table = goalsTable(new Map([['b0', result({ x: 2.345 }, { x: 3.9 })]]), [goal({ atMostBaseline: true, baseline: 'x', issue: 21 })]);
    expect(table.split('\n')[2]).toBe('| g (#21) | 2.35 ms | 3.90 ms: a werift agent | `b0` 2026-12-02 abc1234 | met |');
    expect(formatFigure(1140, 'ms')).toBe('1140 ms');
    expect(formatFigure(0.08, '%')).toBe('0.08 %');
  });

  it('refuses a page without its markers', () => {
    expect(() => withGoalsTable('no markers', '')).toThrow(/markers/);
  });
});
