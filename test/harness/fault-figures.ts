/**
 * The fault suite's figures (R1…R10) as benchmark results (bench/report.ts): written to .run/results/ on every
 * run, and to bench/results/ (where the "Goals at a glance" table reads them) when a run is meant to be recorded:
 * `SIPHON_RESULTS_DIR=bench/results npm run test:faults`.
 */
import { join } from 'node:path';
import { BenchReport, type Figures } from '../../bench/report.ts';

export function recordFaultFigures(bench: string, conditions: string, figures: Figures, variant = ''): void {
  const report = new BenchReport(bench, {
    variant, conditions, command: 'npm run test:faults', dir: process.env.SIPHON_RESULTS_DIR ?? join(process.cwd(), '.run', 'results'),
  });
  report.figures(figures);
  report.write();
}
