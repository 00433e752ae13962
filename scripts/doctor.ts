/**
 * `npm run doctor`: every external thing Siphon runs (binaries, GStreamer elements, libraries, the Janus
 * it builds and that Janus's plugins), the Debian package that provides it, and whether this host has it.
 * `--install` (what setup runs) installs exactly the missing packages with apt, then builds the patched
 * Janus when it is missing or stale (relay/janus/build), and checks again; it exits 1 when something
 * is still missing.
 * `--quiet` prints only when it has something to do.
 * `--role relay`: what a relay host needs (scripts/install-relay.sh); the table still lists what the tests need, as
 * not installed on purpose.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { checkAll, formatTable, missingBuilds, missingPackages } from '../relay/host/check.ts';
import { buildJanus } from '../relay/janus/build/janus-build.ts';
import { binary } from '../relay/host/requirement.ts';
import { RELAY_REQUIREMENTS } from '../relay/requirements.ts';
import { TEST_REQUIREMENTS } from '../test/harness/requirements.ts';

const relayOnly = process.argv.includes('--role') && process.argv[process.argv.indexOf('--role') + 1] === 'relay';
const RELAY_HOST = [...RELAY_REQUIREMENTS, binary('gst-inspect-1.0', 'gstreamer1.0-tools', 'this check: GStreamer elements by name')];
const REQUIREMENTS = relayOnly ? RELAY_HOST : [...RELAY_HOST, ...TEST_REQUIREMENTS];
/** The table's rows for what this role leaves out on purpose. */
const leftOut = relayOnly ? TEST_REQUIREMENTS : [];

const install = process.argv.includes('--install');

/**
 * Packages are installed for the binaries in them: nginx is there for the RTMP tests, which run their own
 * nginx in a test namespace; Debian would otherwise start it as a service on port 80. Debian's own switch
 * for that (policy-rc.d answering 101, as container images do), only for this install and only if the host
 * has none.
 */
function withoutStartingServices(install: () => void): void {
  const policy = '/usr/sbin/policy-rc.d';
  const mine = !existsSync(policy);
  if (mine) writeFileSync(policy, '#!/bin/sh\n# written by siphon doctor for one apt-get install: no service starts\nexit 101\n', { mode: 0o755 });
  try {
    install();
  } finally {
    if (mine) rmSync(policy, { force: true });
  }
}
const quiet = process.argv.includes('--quiet');

let checked = await checkAll(REQUIREMENTS);
let missing = missingPackages(checked);
if (missing.length > 0 && install) {
  if (process.getuid?.() !== 0) {
    console.error(`doctor: missing ${missing.join(' ')}; run as root, or: apt-get install ${missing.join(' ')}`);
    process.exit(1);
  }
  console.log(`doctor: installing ${missing.join(' ')} (apt)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  withoutStartingServices(() =>
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env }));
  checked = await checkAll(REQUIREMENTS);
  missing = missingPackages(checked);
}
// What Siphon builds (the patched Janus) needs the packages above; only the one builder today.
if (missing.length === 0 && install && missingBuilds(checked).length > 0) {
  try {
    await buildJanus();
  } catch (err) {
    console.error(`doctor: ${(err as Error).message}`);
    process.exit(1);
  }
  checked = await checkAll(REQUIREMENTS);
}
const unbuilt = missingBuilds(checked);
if (!quiet || missing.length > 0 || unbuilt.length > 0) console.log(`node ${process.version} (${process.execPath})${relayOnly ? ', relay host' : ''}\n${formatTable(checked, leftOut)}`);
if (missing.length > 0) {
  console.error(install ? `doctor: still missing after apt-get install: ${missing.join(' ')}`
    : `doctor: missing ${missing.join(' ')}; install them with: npm run doctor -- --install (as root)`);
  process.exit(1);
}
if (unbuilt.length > 0) {
  console.error(`doctor: not built (or built from an older recipe): ${unbuilt.join(' ')}; build with: npm run doctor -- --install`);
  process.exit(1);
}
