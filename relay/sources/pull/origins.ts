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
