/**
 * `pull_allowed_origins`: which hosts the pull agent may dial. A pattern is a host name or address,
 * optionally with `*.` in front (any subdomain) and `:port` after (that port only).
 */
export function originAllowed(uri: URL, patterns: string[]): boolean {
  if (patterns.length === 0) return true;
  const host = uri.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = uri.port || (uri.protocol === 'wss:' ? '443' : '80');
  return patterns.some((raw) => {
    const pattern = raw.trim().toLowerCase();
    const m = /^(.*?)(?::(\d+))?$/.exec(pattern);
    const [hostPattern, portPattern] = [m?.[1] ?? '', m?.[2]];
    if (portPattern !== undefined && portPattern !== port) return false;
    if (hostPattern.startsWith('*.')) return host.endsWith(hostPattern.slice(1)) && host.length > hostPattern.length - 1;
    return host === hostPattern;
  });
}
