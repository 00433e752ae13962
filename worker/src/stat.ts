/**
 * WCS's statistics page on the edge, `GET /?action=stat` (`&format=json`): the relays' own pages summed key by key,
 * and the edge's group (relays configured and answering, pulls recorded). Guarded by the API token, like the API.
 */
import type { Context } from 'hono';
import { renderStatJson, renderStatText, STAT_TITLES, sumStats } from '../../contract/stat.ts';
import { claims } from './state.ts';
import { RelayClient } from './relays.ts';
import { relaysOf } from './members.ts';

export async function statPage(c: Context<{ Bindings: Env }>): Promise<Response> {
  const relays = await relaysOf(c.env);
  const answers = await Promise.all(relays.map((r) => new RelayClient(r).stat().catch(() => undefined)));
  const alive = answers.filter((a): a is Record<string, Record<string, number>> => a !== undefined);
  const pulls = (await claims(c.env).list()).length;
  const groups = [
    { id: 'edge_stats', title: STAT_TITLES.edge_stats!, values: { relays: relays.length, relays_alive: alive.length, pulls } },
    ...sumStats(alive, STAT_TITLES),
  ];
  const headers = { 'access-control-allow-origin': '*', 'cache-control': 'no-store' };
  if (c.req.query('format') === 'json') return c.json(renderStatJson(groups), 200, headers);
  return c.text(renderStatText(groups), 200, headers);
}
