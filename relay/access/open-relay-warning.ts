/**
 * What a relay says at start about who may use it: nothing guards it unless tokens or hooks are configured, which is
 * right on a laptop and wrong on the internet. On a public address with nothing configured it warns, saying how to
 * lock it.
 */
import { networkInterfaces } from 'node:os';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';

const HOW = 'set SIPHON_TOKEN_SECRET (signed tokens) or SIPHON_REST_HOOKS_URL (your WCS backend); see docs/api/access.md';

/** Private, loopback and link-local IPv4/IPv6 addresses are not "public". */
export function isPublicAddress(address: string): boolean {
  if (/^(127\.|10\.|192\.168\.|169\.254\.|172\.(1[6-9]|2\d|3[01])\.|100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.)/.test(address)) return false;
  if (/^(::1$|f[cd]|fe[89ab])/i.test(address)) return false;
  return true;
}

function boundAddresses(bind: string): string[] {
  if (bind !== '0.0.0.0' && bind !== '::') return [bind];
  return Object.values(networkInterfaces()).flat().filter((i) => !!i && !i.internal).map((i) => i!.address);
}

export function announceAccess(config: Pick<Config, 'bindAddress' | 'publicIp'>, configured: boolean, log: Logger): void {
  if (configured) {
    log.info('access.guarded', {});
    return;
  }
  const exposed = [...boundAddresses(config.bindAddress), ...(config.publicIp ? [config.publicIp] : [])].filter(isPublicAddress);
  if (exposed.length) log.warn('access.open_on_public_address', { addresses: exposed, message: `anyone who reaches this relay may publish and play; ${HOW}` });
  else log.info('access.open', { message: `anyone who reaches this relay may publish and play (fine on a private network); to lock it, ${HOW}` });
}
