/**
 * Where the WCS agent may dial (a pull's origin, a push's target): the URL rules, `pull_allowed_origins` and
 * the cloud-metadata refusal, checked before anything is bound or dialled.
 */
import { lookup as dnsLookup, promises as dnsPromises, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { Config } from '../config.ts';

/** The request cannot be carried out as asked; `status` is the HTTP code the REST edge answers with. */
export class PullRefusedError extends Error {
  override name = 'PullRefusedError';
  constructor(readonly status: 400 | 403 | 404 | 409, readonly code: string, message: string) { super(message); }
}

const PROTOCOLS = {
  pull: { allowed: ['ws:', 'wss:', 'http:', 'https:'], say: 'ws:// or wss:// (WCS) or http:// or https:// (WHEP)' },
  push: { allowed: ['ws:', 'wss:'], say: 'ws:// or wss:// (a WCS server or a Siphon relay)' },
} as const;

type OriginConfig = Pick<Config, 'pullAllowedOrigins' | 'wcsAgentSsl'>;

export function checkOrigin(uri: string, config: OriginConfig, what: 'pull' | 'push' = 'pull'): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new PullRefusedError(400, 'bad_request', `uri: "${uri}" is not a URL`);
  }
  const { allowed, say } = PROTOCOLS[what];
  if (!(allowed as readonly string[]).includes(url.protocol)) throw new PullRefusedError(400, 'bad_request', `uri: must start with ${say}`);
  if (!url.hostname) throw new PullRefusedError(400, 'bad_request', 'uri: has no host');
  const allowList = config.pullAllowedOrigins;
  if (isCloudMetadata(url) && !metadataAllowed(url, allowList)) {
    throw new PullRefusedError(403, 'forbidden',
      `uri: ${url.hostname} is a cloud metadata address; a ${what} there is refused unless pull_allowed_origins (SIPHON_PULL_ALLOWED_ORIGINS) names it`);
  }
  if (url.protocol === 'wss:' && !config.wcsAgentSsl) {
    throw new PullRefusedError(400, 'bad_request',
      `uri: wss:// ${what === 'pull' ? 'pulls' : 'pushes'} are disabled; set wcs_agent_ssl=true (SIPHON_WCS_AGENT_SSL=true) to allow them, or use ws://`);
  }
  if (!originAllowed(url, allowList)) throw new PullRefusedError(403, 'forbidden', `uri: ${url.host} is not in pull_allowed_origins`);
}

/**
 * `pull_allowed_origins`: which hosts the pull agent may dial. A pattern is a host name or address,
 * optionally with `*.` in front (any subdomain) and `:port` after (that port only).
 */
export function originAllowed(uri: URL, patterns: string[]): boolean {
  if (patterns.length === 0) return true;
  const host = uri.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = uri.port || (uri.protocol === 'wss:' || uri.protocol === 'https:' ? '443' : '80');
  return patterns.some((raw) => {
    const pattern = raw.trim().toLowerCase();
    const m = /^(.*?)(?::(\d+))?$/.exec(pattern);
    const [hostPattern, portPattern] = [m?.[1] ?? '', m?.[2]];
    if (portPattern !== undefined && portPattern !== port) return false;
    if (hostPattern.startsWith('*.')) return host.endsWith(hostPattern.slice(1)) && host.length > hostPattern.length - 1;
    return host === hostPattern;
  });
}

/**
 * Instance metadata services (AWS, GCP, Azure, OpenStack: 169.254.169.254 and its link-local range; AWS's IPv6
 * fd00:ec2::254; Alibaba 100.100.100.200; GCP's name) and link-local addresses in general: a pull URL the API
 * accepts must not become a way to read a host's credentials, above all a WHEP pull, which POSTs to whatever URL
 * it is given. By name here; by the address actually dialled in `guardedLookup`.
 */
export function isCloudMetadata(uri: URL): boolean {
  const host = uri.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return isMetadataAddress(host) || host === 'metadata.google.internal' || host === 'metadata';
}

export function isMetadataAddress(address: string): boolean {
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  return /^169\.254\.\d+\.\d+$/.test(a) || a === '100.100.100.200' || a === 'fd00:ec2::254' || /^fe[89ab][0-9a-f]:/.test(a);
}

/** Whether the metadata refusal is lifted for this URL: only by naming it in pull_allowed_origins. */
export const metadataAllowed = (url: URL, allowList: string[]) => allowList.length > 0 && originAllowed(url, allowList);

/**
 * A `lookup` for the agent's sockets (net.connect, ws, http.request): resolves as usual and refuses a metadata
 * address. It runs on every dial, so a name that resolved harmlessly when the pull was created and rebinds to
 * 169.254.169.254 later (DNS rebinding) is refused at the moment it would be dialled.
 */
export function guardedLookup(url: URL, allowList: string[]): LookupFunction {
  const allowed = metadataAllowed(url, allowList);
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      const bad = list.find((a) => isMetadataAddress(a.address));
      if (bad && !allowed) {
        return callback(new PullRefusedError(403, 'forbidden', `uri: ${hostname} resolves to ${bad.address}, a cloud metadata address; refused unless pull_allowed_origins (SIPHON_PULL_ALLOWED_ORIGINS) names it`), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/** The REST-time check of the same rule: a name resolving to a metadata address is refused (403) before anything is made. */
export async function checkResolvedOrigin(uri: string, config: OriginConfig, what: 'pull' | 'push' = 'pull'): Promise<void> {
  const url = new URL(uri);
  if (metadataAllowed(url, config.pullAllowedOrigins)) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = await dnsPromises.lookup(host, { all: true }).catch(() => []); // unresolvable: the attempt will say so
  const bad = addresses.find((a) => isMetadataAddress(a.address));
  if (bad) {
    throw new PullRefusedError(403, 'forbidden',
      `uri: ${host} resolves to ${bad.address}, a cloud metadata address; a ${what} there is refused unless pull_allowed_origins (SIPHON_PULL_ALLOWED_ORIGINS) names it`);
  }
}
