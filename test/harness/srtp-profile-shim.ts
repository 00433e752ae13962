/**
 * Makes a relay's Janus offer only the SRTP profiles given (native/srtp-profile-shim.c, an LD_PRELOAD shim built here
 * with gcc, which setup installs by name for the Janus build): Janus↔Janus legs pick AES-GCM, while browsers may get
 * AES_CM_128_HMAC_SHA1_80, so a test or benchmark can give a relay's legs the profile a browser would.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CM_HMAC_SHA1_80 = 'SRTP_AES128_CM_SHA1_80';

/** Environment for RelayProcess.start: that relay's Janus offers only `profiles` (OpenSSL's names, ':'-separated). */
export function srtpProfilesEnv(profiles: string): Record<string, string> {
  const so = join(tmpdir(), 'siphon-srtp-profile-shim.so');
  if (!existsSync(so)) execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-o', so, new URL('native/srtp-profile-shim.c', import.meta.url).pathname, '-ldl']);
  return { LD_PRELOAD: so, SIPHON_SRTP_PROFILES: profiles };
}
