/**
 * Where a viewer is served, and where a new copy of a stream pulls from: the CDN's placement, as plain functions over
 * a stream's copies and the relays that could take one, so the edge (play.ts, copies.ts) and the simulation in bench/
 * run the same code.
 *
 * A stream's copies form a tree. A root pulls from the origin itself (a pull record's placement); every other copy
 * pulls from its parent, another relay's copy. Each copy feeds at most `fanout` children, so the origin serves as
 * many pulls as the stream has roots, and no relay more than `fanout`, whatever the audience.
 */

export const DEFAULT_FANOUT = 4;

export interface TreeRelay {
  id: string;
  region: string;
  /** Viewers it can still take (its capacity minus the viewers it has); ≤ 0 is full. */
  headroom: number;
  draining?: boolean;
}

export interface TreeCopy {
  relay: string;
  /** The relay it pulls from; null for a root, which pulls from the origin. */
  parent: string | null;
}

export type ViewerPlacement =
  | { kind: 'existing'; relay: string }
  | { kind: 'new'; relay: string; parent: string };

export function childCounts(copies: readonly TreeCopy[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of copies) if (c.parent !== null) counts.set(c.parent, (counts.get(c.parent) ?? 0) + 1);
  return counts;
}

/** Each copy's depth: a root is 0. A copy whose parent is not among the copies counts as a root's child (depth 1). */
export function depths(copies: readonly TreeCopy[]): Map<string, number> {
  const parentOf = new Map(copies.map((c) => [c.relay, c.parent]));
  const out = new Map<string, number>();
  const depth = (relay: string, seen: number): number => {
    const known = out.get(relay);
    if (known !== undefined) return known;
    const parent = parentOf.get(relay);
    const d = parent === null || parent === undefined || seen > copies.length ? 0 : (parentOf.has(parent) ? depth(parent, seen + 1) : 0) + 1;
    out.set(relay, d);
    return d;
  };
  for (const c of copies) depth(c.relay, 0);
  return out;
}

/** `relay` and every copy below it: none of them may become its parent. */
export function subtree(copies: readonly TreeCopy[], relay: string): Set<string> {
  const out = new Set([relay]);
  for (let grew = true; grew;) {
    grew = false;
    for (const c of copies) if (c.parent !== null && out.has(c.parent) && !out.has(c.relay)) { out.add(c.relay); grew = true; }
  }
  return out;
}

const best = <T>(items: readonly T[], score: (t: T) => number): T | undefined =>
  items.reduce<T | undefined>((a, b) => (a === undefined || score(b) > score(a) ? b : a), undefined);

/**
 * The copy a new copy in `region` pulls from: one with fewer than `fanout` children on a relay that is live and not
 * draining; its own region first, then the shallowest, then the one with the fewest children. `exclude`: relays that
 * may not be the parent (the new copy's own subtree, when it re-parents). Undefined when every copy is full.
 */
export function chooseParent(copies: readonly TreeCopy[], relays: ReadonlyMap<string, TreeRelay>, region: string, fanout: number,
  exclude: ReadonlySet<string> = new Set()): string | undefined {
  const children = childCounts(copies);
  const depth = depths(copies);
  const open = copies.filter((c) => !exclude.has(c.relay) && (children.get(c.relay) ?? 0) < fanout
    && relays.has(c.relay) && !relays.get(c.relay)!.draining);
  const rank = (c: TreeCopy) => [relays.get(c.relay)!.region === region ? 0 : 1, depth.get(c.relay) ?? 0, children.get(c.relay) ?? 0];
  open.sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
  });
  return open[0]?.relay;
}

/**
 * Where a viewer from `region` plays: a relay that has a copy and headroom in its region; else a new copy on the
 * relay with the most headroom in its region; else a copy with headroom elsewhere; else a new copy elsewhere.
 * `relays`: the candidates the caller weighs (every relay, or those of the region and those holding a copy).
 * Undefined when none has headroom.
 */
export function placeViewer(copies: readonly TreeCopy[], relays: readonly TreeRelay[], region: string, fanout = DEFAULT_FANOUT): ViewerPlacement | undefined {
  const byId = new Map(relays.map((r) => [r.id, r]));
  const holding = new Set(copies.map((c) => c.relay));
  const open = relays.filter((r) => !r.draining && r.headroom > 0);
  const held = open.filter((r) => holding.has(r.id));
  const free = open.filter((r) => !holding.has(r.id));
  const inRegion = (list: TreeRelay[]) => (region ? list.filter((r) => r.region === region) : list);
  const existing = (list: TreeRelay[]) => { const r = best(list, (x) => x.headroom); return r && { kind: 'existing' as const, relay: r.id }; };
  const fresh = (list: TreeRelay[]) => {
    const r = best(list, (x) => x.headroom);
    const parent = r && chooseParent(copies, byId, r.region, fanout);
    return r && parent ? { kind: 'new' as const, relay: r.id, parent } : undefined;
  };
  return existing(inRegion(held)) ?? fresh(inRegion(free)) ?? existing(held) ?? fresh(free);
}
