/**
 * A benchmark's report: the tables it prints, the named figures the goals read (bench/goals.ts), and its baseline
 * from the same run, written as one JSON file per benchmark (and variant) to bench/results/. The newest run of a
 * benchmark replaces its file; history lives in git. `npm run bench:summary` turns the files into the "Goals at a
 * glance" table of bench/RESULTS.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { table } from './lib.ts';

export type Figures = Record<string, number>;

export interface MachineInfo {
  cpu: string;
  cores: number;
  memGiB: number;
  kernel: string;
  node: string;
  janus: string;
}

export interface PrintedTable {
  title: string;
  header: string[];
  rows: (string | number)[][];
}

export interface BenchResult {
  /** `B1`, `R9`: what the goals and RESULTS.md call it. */
  bench: string;
  /** A run's conditions when one script measures several (`rtt100-loss2`); empty for the default. */
  variant: string;
  /** The command that made it, arguments included. */
  command: string;
  date: string;
  /** `git describe`-like: the short commit, `+changes` when the work tree differed from it. */
  commit: string;
  machine: MachineInfo;
  /** What else shared the cores, and anything a reader needs to weigh the numbers. */
  conditions: string;
  figures: Figures;
  /** What the same run measured for comparison (a werift agent, a direct viewer, no push…), if anything. */
  baseline?: { what: string; figures: Figures };
  tables: PrintedTable[];
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const resultsDir = () => process.env.SIPHON_RESULTS_DIR ?? join(root, 'bench', 'results');

export function resultFile(bench: string, variant: string, dir = resultsDir()): string {
  return join(dir, `${[bench, variant].filter(Boolean).join('-').toLowerCase()}.json`);
}

export function machineInfo(): MachineInfo {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? 'unknown',
    cores: cpuinfo.split('\n').filter((l) => l.startsWith('processor')).length,
    memGiB: Math.round(Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) / 1024 / 1024),
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    node: process.version,
    janus: process.env.SIPHON_JANUS_BINARY ?? '.janus/bin/janus (built by setup, patched)',
  };
}

function commit(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' }).trim();
    const changed = git('status', '--porcelain', '--untracked-files=no', '--', 'relay', 'bench', 'test', 'scripts', 'worker').length > 0;
    return `${git('rev-parse', '--short', 'HEAD')}${changed ? '+changes' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export class BenchReport {
  readonly #result: BenchResult;

  readonly #dir: string;

  /** `command` and `dir` for a report made inside a test run (the fault suite), not by a script of bench/. */
  constructor(bench: string, options: { variant?: string; conditions: string; command?: string; dir?: string }) {
    this.#dir = options.dir ?? resultsDir();
    this.#result = {
      bench, variant: options.variant ?? '',
      command: options.command ?? `node --import tsx ${relative(root, process.argv[1] ?? '')} ${process.argv.slice(2).join(' ')}`.trim(),
      date: new Date().toISOString(), commit: commit(), machine: machineInfo(), conditions: options.conditions, figures: {}, tables: [],
    };
  }

  table(title: string, header: string[], rows: (string | number)[][]): void {
    table(title, header, rows);
    this.#result.tables.push({ title, header, rows });
  }

  figures(figures: Figures): void {
    Object.assign(this.#result.figures, figures);
  }

  baseline(what: string, figures: Figures): void {
    this.#result.baseline = { what, figures: { ...this.#result.baseline?.figures, ...figures } };
  }

  /** Writes the result; a figure that is not a finite number is a benchmark bug, not a result. */
  write(): string {
    const all = { ...this.#result.figures, ...this.#result.baseline?.figures };
    const broken = Object.entries(all).filter(([, v]) => !Number.isFinite(v)).map(([k]) => k);
    if (broken.length) throw new Error(`${this.#result.bench}: figures without a value: ${broken.join(', ')}`);
    const file = resultFile(this.#result.bench, this.#result.variant, this.#dir);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(this.#result, null, 2)}\n`);
    console.log(`\nresult written to ${relative(process.cwd(), file)}`);
    return file;
  }
}
