/**
 * Where a stream name belongs among relays: rendezvous (highest random weight) hashing, so a name lands on the same
 * relay while that relay is healthy and only the names of a relay that goes move. The edge places with it; tests
 * use it to pick a name that lands where they need it.
 */
/** FNV-1a, 32 bit: stable across runtimes, good enough to spread names over a handful of relays. */
function score(relayId: string, name: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${relayId}\u0000${name}`) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Relays in rendezvous order for `name`: the first is where the name belongs. */
export function rendezvous<R extends { id: string }>(relays: R[], name: string): R[] {
  return [...relays].sort((a, b) => score(b.id, name) - score(a.id, name) || a.id.localeCompare(b.id));
}
