/**
 * Checks requirements on this host, each by name: a binary on PATH, a GStreamer element through
 * `gst-inspect-1.0 --exists`, a file by its path, a library through `pkg-config --exists`, a built
 * file by its path and its recipe stamp. The probe is the one boundary, so the planning
 * (which packages are missing) is tested without touching the host.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Requirement } from './requirement.ts';

export interface CheckedRequirement { requirement: Requirement; present: boolean }
export type Probe = (r: Requirement) => Promise<boolean>;

export function onPath(name: string, path = process.env.PATH ?? ''): boolean {
  return path.split(delimiter).filter(Boolean).some((dir) => {
    try { accessSync(join(dir, name), constants.X_OK); return true; } catch { return false; }
  });
}

export const hostProbe: Probe = async (r) => {
  if (r.kind === 'binary') return onPath(r.name);
  if (r.kind === 'file') return existsSync(r.path);
  if (r.kind === 'built') return existsSync(r.path) && stampHolds(r.stamp);
  const [tool, args] = r.kind === 'pkg-config' ? ['pkg-config', ['--exists', r.name]] : ['gst-inspect-1.0', ['--exists', r.name]];
  if (!onPath(tool)) return false;
  return new Promise((resolve) => execFile(tool, args, (err) => resolve(!err)));
};

function stampHolds(stamp: { file: string; value: string }): boolean {
  try { return readFileSync(stamp.file, 'utf8').trim() === stamp.value; } catch { return false; }
}

export async function checkAll(requirements: readonly Requirement[], probe: Probe = hostProbe): Promise<CheckedRequirement[]> {
  return Promise.all(requirements.map(async (requirement) => ({ requirement, present: await probe(requirement) })));
}

/** The Debian packages to install, once each, in the order first needed. */
export function missingPackages(checked: readonly CheckedRequirement[]): string[] {
  return [...new Set(checked.flatMap((c) => (!c.present && c.requirement.kind !== 'built' ? [c.requirement.package] : [])))];
}

/** What Siphon must build itself (after the packages are in). */
export function missingBuilds(checked: readonly CheckedRequirement[]): string[] {
  return [...new Set(checked.flatMap((c) => (!c.present && c.requirement.kind === 'built' ? [c.requirement.builtBy] : [])))];
}

/** The table doctor prints; `leftOut`: what this host's role does not get, listed as such (a relay host: the tests' tools). */
export function formatTable(checked: readonly CheckedRequirement[], leftOut: readonly Requirement[] = []): string {
  const packageOf = (r: Requirement) => (r.kind === 'built' ? `(${r.builtBy})` : r.package);
  const rows = [
    ...checked.map(({ requirement: r, present }) => [r.kind, r.name, packageOf(r), present ? 'present' : 'MISSING', r.usedBy]),
    ...leftOut.map((r) => [r.kind, r.name, packageOf(r), 'not for a relay host', r.usedBy]),
  ];
  const head = ['kind', 'name', 'package', 'status', 'used by'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [head, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
