/**
 * Where the WCS agent may dial (a pull's origin, a push's target): the URL rules, `pull_allowed_origins` and
 * the cloud-metadata refusal, checked before anything is bound or dialled.
 */
import type { Config } from '../../config.ts';

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
  if (isCloudMetadata(url) && !(allowList.length > 0 && originAllowed(url, allowList))) {
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
 * fd00:ec2::254; Alibaba 100.100.100.200; GCP's name): a pull URL the API accepts must not become a way to
 * read a host's credentials, above all a WHEP pull, which POSTs to whatever URL it is given.
 */
export function isCloudMetadata(uri: URL): boolean {
  const host = uri.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return /^169\.254\.\d+\.\d+$/.test(host) || host === 'fd00:ec2::254' || host === '100.100.100.200'
    || host === 'metadata.google.internal' || host === 'metadata';
}
