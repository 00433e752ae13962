/**
 * R3: a relay restarts under several pulls; the edge's reconciliation (the cron handler) restores all
 * of them. R6: that relay refuses REST without its token (401) and dials nothing outside
 * pull_allowed_origins (403).
 */
import { recordFaultFigures } from '../harness/fault-figures.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetNamespace } from '../harness/netns.ts';
import { RelayProcess } from '../harness/relay-process.ts';
import { EdgeProcess } from '../harness/edge-process.ts';

const TOKEN = 'r3-relay-token';
const NAMES = ['r3-one', 'r3-two', 'r3-three'];

describe('R3/R6: relay restart under the edge; token and origin guards', () => {
  let ns: NetNamespace;
  let a: RelayProcess;
  let b: RelayProcess;
  let edge: EdgeProcess;
  const bEnv = () => ({ ...RelayProcess.slot(1), SIPHON_REST_TOKEN: TOKEN, SIPHON_PULL_ALLOWED_ORIGINS: '127.0.0.1:8080' });

  beforeAll(async () => {
    ns = NetNamespace.create();
    [a, b] = await Promise.all([RelayProcess.start(ns, { SIPHON_DEMO_STREAM: 'origin' }), RelayProcess.start(ns, bEnv())]);
    edge = await EdgeProcess.start(ns, { RELAYS: JSON.stringify([{ id: 'b', url: 'http://127.0.0.1:9080' }]), RELAY_TOKENS: JSON.stringify({ b: TOKEN }) });
  });

  afterAll(async () => {
    await edge?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    ns?.destroySync();
  });

  const edgeStatuses = async () => Object.fromEntries(((await (await fetch(`${edge.url}/rest-api/pull/find_all`)).json()) as { localStreamName: string; status: string }[])
    .map((p) => [p.localStreamName, p.status]));
  const allPlaying = Object.fromEntries(NAMES.map((n) => [n, 'PLAYING']));

  it('R3: after relay B restarts, one scheduled run brings every pull back', async () => {
    for (const name of NAMES) {
      const res = await fetch(`${edge.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: 'ws://127.0.0.1:8080', remoteStreamName: 'origin', localStreamName: name }) });
      expect(res.status).toBe(200);
    }
    await expect.poll(edgeStatuses, { timeout: 30_000 }).toEqual(allPlaying);
    await b.stop();
    b = await RelayProcess.start(ns, bEnv());
    expect(await edgeStatuses()).toEqual(Object.fromEntries(NAMES.map((n) => [n, 'LOST'])));
    const runAt = Date.now();
    await edge.runScheduled();
    await expect.poll(edgeStatuses, { timeout: 30_000 }).toEqual(allPlaying);
    recordFaultFigures('R3', `relay B restarted under ${NAMES.length} pulls placed by the edge`, { pulls: NAMES.length, allPlayingAfterScheduledRunMs: Date.now() - runAt });
  });

  it('R6: relay REST without the token → 401; a pull outside pull_allowed_origins → 403 and nothing dialled', async () => {
    const unauthorized = (await fetch(`${b.url}/rest-api/pull/find_all`)).status;
    expect(unauthorized).toBe(401);
    const denied = await fetch(`${b.url}/rest-api/pull/pull`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ uri: `ws://${ns.hostAddress}:8080`, remoteStreamName: 'origin', localStreamName: 'r6' }),
    });
    expect(denied.status).toBe(403);
    expect(b.lines.some((l) => l.event === 'pull.created' && l.stream === 'r6')).toBe(false);
    const viaEdge = await fetch(`${edge.url}/rest-api/pull/pull`, { method: 'POST', body: JSON.stringify({ uri: `ws://${ns.hostAddress}:8080`, remoteStreamName: 'origin', localStreamName: 'r6' }) });
    expect(viaEdge.status).toBe(403);
    expect((await edgeStatuses()).r6).toBeUndefined();
    recordFaultFigures('R6', "relay REST without its token; a pull outside pull_allowed_origins, direct and through the edge", {
      statusWithoutToken: unauthorized, statusOutsideOrigins: denied.status, statusOutsideOriginsViaEdge: viaEdge.status, pullsCreated: 0,
    });
  });
});
