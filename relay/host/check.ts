/**
 * Checks requirements on this host, each by name: a binary on PATH, a GStreamer element through
 * `gst-inspect-1.0 --exists`, a file by its path. The probe is the one boundary, so the planning
 * (which packages are missing) is tested without touching the host.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
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
  if (!onPath('gst-inspect-1.0')) return false;
  return new Promise((resolve) => execFile('gst-inspect-1.0', ['--exists', r.name], (err) => resolve(!err)));
};

export async function checkAll(requirements: readonly Requirement[], probe: Probe = hostProbe): Promise<CheckedRequirement[]> {
  return Promise.all(requirements.map(async (requirement) => ({ requirement, present: await probe(requirement) })));
}

/** The Debian packages to install, once each, in the order first needed. */
export function missingPackages(checked: readonly CheckedRequirement[]): string[] {
  return [...new Set(checked.filter((c) => !c.present).map((c) => c.requirement.package))];
}

export function formatTable(checked: readonly CheckedRequirement[]): string {
  const rows = checked.map(({ requirement: r, present }) => [r.kind, r.name, r.package, present ? 'present' : 'MISSING', r.usedBy]);
  const head = ['kind', 'name', 'package', 'status', 'used by'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [head, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
