/** WCS's statistics page format, read back with the parser of the SDK's REST client (its `stat.poll()` loop). */
import { describe, expect, it } from 'vitest';
import { renderStatJson, renderStatText, sumStats, STAT_TITLES, type StatGroup } from '../../../contract/stat.ts';

/** The parsing loop of flashphoner-rest-api.js's stat.poll, as it is. */
function sdkParse(stats: string): Record<string, Record<string, string | undefined>> {
  const ret: Record<string, Record<string, string | undefined>> = {};
  let currentHeader = 'unknown';
  for (const line of stats.split('\n')) {
    if (line[0] === '-') {
      currentHeader = line.match(/-+([A-z]+) */)![1]!.toLowerCase();
      ret[currentHeader] = {};
    } else {
      const pair = line.split('=');
      ret[currentHeader]![pair[0]!] = pair[1];
    }
  }
  return ret;
}

describe('statistics page format', () => {
  const groups: StatGroup[] = [
    { id: 'connections_stats', title: STAT_TITLES.connections_stats!, values: { connections: 3, connections_websocket: 2 } },
    { id: 'core_stats', title: STAT_TITLES.core_stats!, values: { core_threads: 12 } },
  ];

  it('text: headers the SDK turns into lower-case groups, key=value lines, starting with a header', () => {
    const text = renderStatText(groups);
    expect(text.startsWith('-----Connection Stats\n')).toBe(true);
    expect(sdkParse(text)).toMatchObject({ connection: { connections: '3', connections_websocket: '2' }, core: { core_threads: '12' } });
  });

  it('JSON by group id; the edge sums servers key by key', () => {
    expect(renderStatJson(groups)).toEqual({ connections_stats: { connections: 3, connections_websocket: 2 }, core_stats: { core_threads: 12 } });
    const summed = sumStats([renderStatJson(groups), { connections_stats: { connections: 1, connections_websocket: 1 } }], STAT_TITLES);
    expect(summed).toEqual([
      { id: 'connections_stats', title: 'Connection', values: { connections: 4, connections_websocket: 3 } },
      { id: 'core_stats', title: 'Core', values: { core_threads: 12 } },
    ]);
  });
});
