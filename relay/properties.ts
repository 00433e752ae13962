/** WCS's `flashphoner.properties`: how Siphon reads it for its settings (relay/config.ts). */
/** Reads a Java-style properties file: `key=value`, `#`/`!` comments. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#') || trimmed.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(trimmed);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** A range's property is two WCS keys (`media_port_from`/`media_port_to`) or one `from-to` key. */
export function fromProperties(props: Map<string, string>, property: string): string | undefined {
  const pair = /^(.+_from)-(.+_to)$/.exec(property);
  if (pair) {
    const from = props.get(pair[1]!);
    const to = props.get(pair[2]!);
    return from !== undefined && to !== undefined ? `${from}-${to}` : undefined;
  }
  return props.get(property);
}
