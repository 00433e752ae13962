/**
 * Makes a relay's Janus offer only the SRTP profiles given (native/srtp-profile-shim.c, an LD_PRELOAD shim built here
 * with gcc, which setup installs by name for the Janus build): Janus↔Janus legs pick AES-GCM, while browsers may get
 * AES_CM_128_HMAC_SHA1_80, so a test or benchmark can give a relay's legs the profile a browser would.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CM_HMAC_SHA1_80 = 'SRTP_AES128_CM_SHA1_80';

/** Environment for RelayProcess.start: that relay's Janus offers only `profiles` (OpenSSL's names, ':'-separated). */
export function srtpProfilesEnv(profiles: string): Record<string, string> {
  const source = new URL('native/srtp-profile-shim.c', import.meta.url).pathname;
  // Named by its source's hash: an edited shim is built again, not taken from an earlier run's /tmp.
  const so = join(tmpdir(), `siphon-srtp-profile-shim-${createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12)}.so`);
  if (!existsSync(so)) execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-o', so, source, '-ldl']);
  return { LD_PRELOAD: so, SIPHON_SRTP_PROFILES: profiles };
}
