/**
 * WCS's statistics page, `GET /?action=stat` (text) and `&format=json`, as the relay and the edge both serve it: groups
 * of `key=value` lines under `-----<Title> Stats` headers, which the SDK REST client's `stat.poll()` reads (a header
 * is a line starting with `-`, its first word the group; every other line `key=value`). JSON: the same groups by id.
 */
export interface StatGroup { id: string; title: string; values: Record<string, number> }

export function renderStatText(groups: StatGroup[]): string {
  return groups.map((g) => [`-----${g.title} Stats`, ...Object.entries(g.values).map(([k, v]) => `${k}=${v}`)].join('\n')).join('\n') + '\n';
}

export function renderStatJson(groups: StatGroup[]): Record<string, Record<string, number>> {
  return Object.fromEntries(groups.map((g) => [g.id, g.values]));
}

/** Sums the same keys over several servers' JSON answers (the edge over its relays). */
export function sumStats(answers: Record<string, Record<string, number>>[], titles: Record<string, string>): StatGroup[] {
  const out = new Map<string, Record<string, number>>();
  for (const answer of answers) {
    for (const [id, values] of Object.entries(answer)) {
      const group = out.get(id) ?? {};
      for (const [k, v] of Object.entries(values)) if (typeof v === 'number') group[k] = (group[k] ?? 0) + v;
      out.set(id, group);
    }
  }
  return [...out].map(([id, values]) => ({ id, title: titles[id] ?? id, values }));
}

/** The groups and the titles of their headers (the SDK reads the title's first word, lower-cased). */
export const STAT_TITLES: Record<string, string> = {
  connections_stats: 'Connection', port_stats: 'Port', streams_stats: 'Stream', outputs_stats: 'Output', pulls_stats: 'Pull',
  core_stats: 'Core', system_stats: 'System', janus_stats: 'Janus', edge_stats: 'Edge',
};
