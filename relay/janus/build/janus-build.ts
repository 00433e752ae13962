/**
 * The Janus the relay runs: Debian 12's Janus 1.1.2 source (the upstream tarball of Debian's `janus`
 * package, checked against Debian's .dsc), with our patches applied in order (PATCHES), built with only
 * what Siphon loads. Why patched:
 *  - dtls-early-records-and-timer.patch: stock Janus drops a peer's first DTLS flight when it arrives
 *    before Janus's own ICE "selected pair" (dtls.c: `dtls_started == 0`), and with OpenSSL its first
 *    retransmission comes after a fixed 1 s (`dtls_timeout` only works with BoringSSL), so about one leg
 *    in two started 1 s late. The patch keeps early records for the handshake and gives OpenSSL a timer
 *    callback (`DTLS_set_timer_cb`) that honours `dtls_timeout`.
 *  - nack-retries-and-rtx-ssrc.patch: across a lossy path a pulled stream froze a third of the time. A
 *    Janus that answers an offer with rtx (a pull's origin, a WCS player's leg) retransmitted with SSRC 0
 *    (no rtx SSRC was made for the answer), so nothing lost was repaired; a receiving leg NACKed a gap
 *    twice, not paced by RTT, and the sender ignored the second; the sender kept nothing to retransmit
 *    until its first RTT measurement. The patch makes the rtx SSRC, retries NACKs paced by the measured
 *    round trip, asks for a keyframe when a gap is given up, and reports both in handle_info.
 *  - streaming-pli-interval.patch: a mountpoint forwarded at most one keyframe request a second and held the
 *    rest back, so a viewer asking again (its first keyframe lost in its leg's start) waited up to 1 s: one
 *    join in ten on a browser publisher; 20 ms now (the tee merges requests; pulls from other relays watch mountpoints too).
 *  - send-path-wakeups-and-allocations.patch: fanning one packet out to N viewers, stock Janus woke the handles'
 *    shared event loop N times (an eventfd write each, often a pass over every handle's sources each) and made four
 *    allocations per viewer (packet, data, the NACK copy and its data), allocated on the plugin's thread and freed on
 *    the loop's. The patch wakes a loop once per pass and allocates each packet with its data (B13 in
 *    bench/RESULTS.md).
 *  - streaming-viewer-offer.patch: the Streaming plugin only offered, so viewers that offer (WHEP clients, WCS SDK
 *    Players) each needed a NoSIP leg fed by its own copy from Node, about twice the CPU per packet of a mountpoint
 *    viewer (B13). The patch answers a viewer's offer on `watch`: the viewer's m-lines and payload types, the
 *    mountpoint's fan-out.
 *
 * And on libsrtp built on OpenSSL, from Debian 12's libsrtp2 2.5.0 source (checked against its .dsc), linked in
 * statically: Debian's libsrtp2 package is built on NSS, whose AES_CM_128_HMAC_SHA1_80 costs ≈ 7.4 µs per 1200 B
 * packet here against ≈ 1.3 µs from OpenSSL, and B13 found NSS taking 18–28 % of a relay's CPU where legs use that
 * profile (bench/RESULTS.md).
 *
 * `npm run doctor -- --install` (setup) builds it when it is missing or its recipe changed: ~60 s on
 * 2 cores, ~7 MB download, ~4 MB installed under `.janus/`.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Requirement } from '../../host/requirement.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '../../..');

/** A Debian source package's upstream tarball, checked against the sha256 in its .dsc (Checksums-Sha256). */
interface DebianSource { version: string; url: string; sha256: string; dir: string }

const debianOrig = (poolDir: string, name: string, version: string, sha256: string, dir: string): DebianSource => ({
  version, sha256, dir, url: `${process.env.SIPHON_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian'}/pool/main/${poolDir}/${name}_${version}.orig.tar.gz`,
});

/** janus_1.1.2-1.dsc */
export const JANUS_SOURCE = debianOrig('j/janus', 'janus', '1.1.2', 'f721d62a22b38ba3a341a5502f06b8b3a5a4f7bd0e9cc6c53de257fe99695e17', 'janus-gateway-1.1.2');
/** libsrtp2_2.5.0-3.dsc */
export const LIBSRTP_SOURCE = debianOrig('libs/libsrtp2', 'libsrtp2', '2.5.0', '8a43ef8e9ae2b665292591af62aa1a4ae41e468b6d98d8258f91478735da4e09', 'libsrtp-2.5.0');

/** A static libsrtp2.a (-fPIC: it goes into Janus's binary) whose ciphers are OpenSSL's, not NSS's. */
const LIBSRTP_CONFIGURE_FLAGS = ['--enable-openssl', 'CFLAGS=-O2 -fPIC'];

/** Applied in this order; each is ours, small and commented in the C it touches. */
const PATCHES = ['dtls-early-records-and-timer.patch', 'nack-retries-and-rtx-ssrc.patch', 'streaming-pli-interval.patch',
  'send-path-wakeups-and-allocations.patch', 'streaming-viewer-offer.patch'].map((name) => join(here, name));

/** Only the two plugins and the transport the generated config loads (relay/janus/config.ts). */
const CONFIGURE_FLAGS = [
  '--disable-docs', '--disable-data-channels', '--disable-turn-rest-api', '--disable-post-processing',
  '--disable-all-plugins', '--enable-plugin-streaming', '--enable-plugin-nosip',
  '--disable-all-transports', '--enable-websockets', '--disable-all-handlers', '--disable-all-loggers',
];

/** Changes whenever the source, the patch or the flags do, so an old build is rebuilt. */
function recipeId(): string {
  const h = createHash('sha256').update(JANUS_SOURCE.sha256).update(LIBSRTP_SOURCE.sha256).update(LIBSRTP_CONFIGURE_FLAGS.join(' '));
  for (const patch of PATCHES) h.update(readFileSync(patch));
  h.update(CONFIGURE_FLAGS.join(' '));
  return `${JANUS_SOURCE.version}-siphon-${h.digest('hex').slice(0, 12)}`;
}

export const BUILT_JANUS_PREFIX = join(root, '.janus');
export const BUILT_JANUS_BINARY = join(BUILT_JANUS_PREFIX, 'bin', 'janus');
export const BUILT_JANUS_LIB_DIR = join(BUILT_JANUS_PREFIX, 'lib', 'janus');
const STAMP = join(BUILT_JANUS_PREFIX, 'recipe');

/** What the build needs, each by name with its Debian package (doctor installs the missing ones first). */
export const JANUS_BUILD_REQUIREMENTS: Requirement[] = [
  ...([
    ['gcc', 'gcc'], ['make', 'make'], ['autoreconf', 'autoconf'], ['automake', 'automake'], ['libtoolize', 'libtool'],
    ['pkg-config', 'pkg-config'], ['patch', 'patch'], ['tar', 'tar'], ['gzip', 'gzip'],
  ] as const).map(([name, pkg]): Requirement => ({ kind: 'binary', name, package: pkg, usedBy: 'building Janus (relay/janus/build)' })),
  ...([
    ['glib-2.0', 'libglib2.0-dev'], ['gio-2.0', 'libglib2.0-dev'], ['libconfig', 'libconfig-dev'], ['nice', 'libnice-dev'],
    ['jansson', 'libjansson-dev'], ['libssl', 'libssl-dev'], ['libcrypto', 'libssl-dev'], ['zlib', 'zlib1g-dev'],
    ['libwebsockets', 'libwebsockets-dev'],
  ] as const).map(([name, pkg]): Requirement => ({ kind: 'pkg-config', name, package: pkg, usedBy: 'building Janus (relay/janus/build)' })),
];

export function builtJanusRequirement(name: string, path: string, usedBy: string): Requirement {
  return { kind: 'built', name, path, stamp: { file: STAMP, value: recipeId() }, builtBy: 'relay/janus/build', usedBy };
}

export function builtJanusIsCurrent(): boolean {
  return existsSync(BUILT_JANUS_BINARY) && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === recipeId();
}

export class JanusBuildError extends Error {
  constructor(step: string, cause: unknown) {
    super(`building Janus failed at ${step}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'JanusBuildError';
  }
}

async function download(url: string, sha256: string, to: string): Promise<void> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  const got = createHash('sha256').update(body).digest('hex');
  if (got !== sha256) throw new Error(`${url}: sha256 ${got}, expected ${sha256} (Debian's .dsc)`);
  writeFileSync(to, body);
}

type Run = (step: string, cmd: string, args: string[], cwd: string, env?: Record<string, string>) => void;

/** Builds libsrtp2.a on OpenSSL into `work`/srtp; returns that prefix. */
async function buildLibsrtp(work: string, run: Run): Promise<string> {
  const tarball = join(work, 'libsrtp2.orig.tar.gz');
  await download(LIBSRTP_SOURCE.url, LIBSRTP_SOURCE.sha256, tarball).catch((err) => { throw new JanusBuildError('download libsrtp', err); });
  run('unpack libsrtp', 'tar', ['xzf', tarball], work);
  const src = join(work, LIBSRTP_SOURCE.dir);
  const prefix = join(work, 'srtp');
  run('configure libsrtp', './configure', [`--prefix=${prefix}`, ...LIBSRTP_CONFIGURE_FLAGS], src);
  run('make libsrtp', 'make', [`-j${availableParallelism()}`, 'libsrtp2.a'], src);
  run('install libsrtp', 'make', ['install'], src);
  return prefix;
}

/** Downloads, patches, builds and installs into `.janus/`; a failed build leaves the previous one untouched. */
export async function buildJanus(log: (line: string) => void = console.log): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'siphon-janus-build-'));
  const staging = `${BUILT_JANUS_PREFIX}.new`;
  const run = (step: string, cmd: string, args: string[], cwd: string, env?: Record<string, string>) => {
    try {
      execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } });
    } catch (err) {
      const e = err as { stderr?: Buffer; stdout?: Buffer };
      const tail = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
      throw new JanusBuildError(step, new Error(`${cmd} ${args.join(' ')}\n${tail}`));
    }
  };
  try {
    const started = Date.now();
    log(`janus: building ${recipeId()} (Debian's Janus ${JANUS_SOURCE.version} source + relay/janus/build/*.patch, on Debian's libsrtp ${LIBSRTP_SOURCE.version} source built with OpenSSL)`);
    const srtp = await buildLibsrtp(work, run);
    const tarball = join(work, 'janus.orig.tar.gz');
    await download(JANUS_SOURCE.url, JANUS_SOURCE.sha256, tarball).catch((err) => { throw new JanusBuildError('download', err); });
    run('unpack', 'tar', ['xzf', tarball], work);
    const src = join(work, JANUS_SOURCE.dir);
    for (const patch of PATCHES) run(`patch ${patch}`, 'patch', ['-p1', '--forward', '-i', patch], src);
    run('autoreconf', 'autoreconf', ['--force', '--install'], src);
    rmSync(staging, { recursive: true, force: true });
    // pkg-config finds ours before the machine's (NSS) libsrtp2, which may be installed too.
    run('configure', './configure', [`--prefix=${BUILT_JANUS_PREFIX}`, ...CONFIGURE_FLAGS], src, { PKG_CONFIG_PATH: join(srtp, 'lib', 'pkgconfig') });
    run('make', 'make', [`-j${availableParallelism()}`], src);
    const linked = execFileSync('ldd', [join(src, 'src', 'janus')], { encoding: 'utf8' });
    if (/libsrtp2\.so/.test(linked)) throw new JanusBuildError('link', new Error('janus links the machine\'s libsrtp2.so, not the one built on OpenSSL'));
    // Installed to a staging directory first, so a relay running the old build keeps its files until the swap.
    run('make install', 'make', ['-C', 'src', 'install-binPROGRAMS', 'install-pluginLTLIBRARIES', 'install-transportLTLIBRARIES',
      `DESTDIR=${staging}`], src);
    rmSync(BUILT_JANUS_PREFIX, { recursive: true, force: true });
    mkdirSync(BUILT_JANUS_PREFIX, { recursive: true });
    run('install', 'cp', ['-a', `${join(staging, BUILT_JANUS_PREFIX)}/.`, BUILT_JANUS_PREFIX], root);
    writeFileSync(STAMP, `${recipeId()}\n`);
    log(`janus: built in ${Math.round((Date.now() - started) / 1000)} s → ${BUILT_JANUS_BINARY}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(staging, { recursive: true, force: true });
  }
}
