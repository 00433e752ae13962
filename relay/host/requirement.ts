/**
 * Something Siphon runs that a fresh Debian 12 does not have: a binary, a GStreamer element, a file
 * or a pkg-config module (a library to build against), each with the Debian package that provides it;
 * or something Siphon builds itself (the patched Janus), current when its stamp holds the recipe's id. Each module that runs such a thing
 * declares it beside the code that uses it; `npm run doctor` (scripts/doctor.ts) checks every one by
 * name and installs exactly the missing packages.
 */
export type Requirement =
  | { kind: 'binary'; name: string; package: string; usedBy: string }
  | { kind: 'gst-element'; name: string; package: string; usedBy: string }
  | { kind: 'file'; name: string; path: string; package: string; usedBy: string }
  | { kind: 'pkg-config'; name: string; package: string; usedBy: string }
  | { kind: 'built'; name: string; path: string; stamp: { file: string; value: string }; builtBy: string; usedBy: string };

export const binary = (name: string, pkg: string, usedBy: string): Requirement => ({ kind: 'binary', name, package: pkg, usedBy });
