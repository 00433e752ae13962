/** A relay's membership at an edge (relay/edge-link/edge-membership.ts), on fake timers, the edge faked at fetch. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../../relay/log.ts';
import { EdgeMembership } from '../../../relay/edge-link/edge-membership.ts';
import { joinRequestOf } from '../../../relay/edge-link/join-request.ts';

interface Call { path: string; bearer: string; body: Record<string, unknown> }
type Answer = { status: number; body: unknown } | Error;

/** An edge that answers each path from its queue (the last answer repeats), and records every call. */
function fakeEdge(answers: Record<string, Answer[]>) {
  const calls: Call[] = [];
  const fetch = (async (url: URL, init: RequestInit) => {
    const path = url.pathname;
    calls.push({ path, bearer: String((init.headers as Record<string, string>).authorization).replace('Bearer ', ''), body: JSON.parse(String(init.body)) });
    const queue = answers[path]!;
    const answer = queue.length > 1 ? queue.shift()! : queue[0]!;
    if (answer instanceof Error) throw answer;
    return Response.json(answer.body, { status: answer.status });
  }) as unknown as typeof globalThis.fetch;
  return { calls, fetch };
}

const joined = (credential: string) => ({ status: 200, body: { id: 'r1', credential, heartbeatSeconds: 5, expireSeconds: 15 } });
const active = { status: 200, body: { state: 'active' } };
const load = { viewers: 2, pulls: 1, cpu: 30, egressBps: 1000 };

function membership(answers: Record<string, Answer[]>) {
  const edge = fakeEdge(answers);
  const lines: [string, Record<string, unknown>][] = [];
  const log = { info: (e: string, f: Record<string, unknown>) => lines.push([e, f]), warn: (e: string, f: Record<string, unknown>) => lines.push([e, f]) } as unknown as Logger;
  const m = new EdgeMembership({ edgeUrl: 'https://edge.example', joinToken: 'join-secret', join: { id: 'r1', url: 'http://r1:8080', region: 'eu' },
    load: () => load, log, fetch: edge.fetch, random: () => 1 });
  return { m, ...edge, lines };
}

/** Lets the fake fetch's promises settle between timer steps. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('EdgeMembership', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('joins with the join token, then heartbeats its load every heartbeatSeconds with the credential it got', async () => {
    const { m, calls } = membership({ '/rest-api/relay/join': [joined('cred-1')], '/rest-api/relay/heartbeat': [active] });
    expect(m.credentials()).toEqual([]);
    m.start();
    await settle();
    expect(m.state).toBe('member');
    expect(m.credentials()).toEqual(['cred-1']);
    expect(calls[0]).toEqual({ path: '/rest-api/relay/join', bearer: 'join-secret', body: { id: 'r1', url: 'http://r1:8080', region: 'eu' } });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5_001);
    expect(calls.slice(1)).toEqual([1, 2].map(() => ({ path: '/rest-api/relay/heartbeat', bearer: 'cred-1', body: { id: 'r1', load } })));
    m.close();
  });

  it('a refused or failed join is retried with the backoff, first within 1 s, and logged with why', async () => {
    const { m, calls, lines } = membership({
      '/rest-api/relay/join': [{ status: 401, body: { error: 'unauthorized', message: 'missing or wrong join token' } }, new Error('connect ECONNREFUSED'), joined('c')],
      '/rest-api/relay/heartbeat': [active],
    });
    m.start();
    await settle();
    expect(m.state).toBe('joining');
    expect(lines.at(-1)).toEqual(['edge_link.state', expect.objectContaining({ to: 'joining', info: 'join failed: /rest-api/relay/join answered 401: missing or wrong join token' })]);
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toHaveLength(2);
    expect(lines.at(-1)![1]).toMatchObject({ info: 'join failed: connect ECONNREFUSED' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(m.state).toBe('member');
    m.close();
  });

  it('joins again when a heartbeat is told the edge no longer knows it, and keeps beating through an edge that is down', async () => {
    const { m, calls, lines } = membership({
      '/rest-api/relay/join': [joined('first'), joined('second')],
      '/rest-api/relay/heartbeat': [new Error('fetch failed'), { status: 404, body: { error: 'not_a_member', message: 'join again' } }, active],
    });
    m.start();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lines.at(-1)).toEqual(['edge_link.heartbeat_failed', expect.objectContaining({ reason: 'fetch failed' })]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(m.credentials()).toEqual(['second']);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls.map((c) => `${c.path.split('/').at(-1)} ${c.bearer}`)).toEqual(['join join-secret', 'heartbeat first', 'heartbeat first', 'join join-secret', 'heartbeat second']);
    m.close();
  });

  it('takes a rotated credential, accepts both until a heartbeat with the new one is answered, then only the new', async () => {
    const { m, calls } = membership({
      '/rest-api/relay/join': [joined('old')],
      '/rest-api/relay/heartbeat': [{ status: 200, body: { state: 'active', credential: 'new' } }, active],
    });
    m.start();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(m.credentials()).toEqual(['new', 'old']);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls.at(-1)!.bearer).toBe('new');
    expect(m.credentials()).toEqual(['new']);
    m.close();
  });

  it('leaves with its credential (the edge drains it), and no heartbeat goes out after', async () => {
    const { m, calls } = membership({
      '/rest-api/relay/join': [joined('c')], '/rest-api/relay/heartbeat': [active],
      '/rest-api/relay/leave': [{ status: 200, body: { relay: 'r1', moved: [{ localStreamName: 's', to: 'r2' }], failed: [] } }],
    });
    m.start();
    await settle();
    await m.leave();
    expect(m.state).toBe('left');
    expect(calls.at(-1)).toEqual({ path: '/rest-api/relay/leave', bearer: 'c', body: { id: 'r1' } });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls.at(-1)!.path).toBe('/rest-api/relay/leave');
  });

  it('asks the edge for a copy of a stream with its credential, and only as a member', async () => {
    const { m, calls } = membership({
      '/rest-api/relay/join': [joined('c')], '/rest-api/relay/heartbeat': [active],
      '/rest-api/relay/demand': [{ status: 200, body: { stream: 's', relay: 'r1', parent: 'r0' } }, { status: 404, body: { error: 'not_found', message: 'no pull "x" at this edge' } }],
    });
    await expect(m.demand('s')).rejects.toThrow(/not a member/);
    m.start();
    await settle();
    expect(await m.demand('s')).toEqual({ stream: 's', relay: 'r1', parent: 'r0' });
    expect(calls.at(-1)).toEqual({ path: '/rest-api/relay/demand', bearer: 'c', body: { id: 'r1', stream: 's' } });
    await expect(m.demand('x')).rejects.toThrow('/rest-api/relay/demand answered 404: no pull "x" at this edge');
    m.close();
  });

  it('what a relay joins with: its id, its URLs from the public address and ports, its capacity when it sets one', () => {
    const base = { relayId: '', publicUrl: '', publicHlsUrl: '', publicIp: '', wsPort: 8080, hlsPort: 8082, hlsTlsPort: 8445, region: 'eu', maxViewers: 0, edgeCapacity: 0 };
    expect(joinRequestOf({ ...base, publicIp: '203.0.113.5' }, 'media_1.lan')).toEqual({ id: 'media_1.lan', url: 'http://203.0.113.5:8080', hls: 'http://203.0.113.5:8082', region: 'eu' });
    expect(joinRequestOf({ ...base, relayId: 'fra-1', publicUrl: 'https://fra-1.example.com:8443/', maxViewers: 300 }, 'x'))
      .toEqual({ id: 'fra-1', url: 'https://fra-1.example.com:8443', hls: 'https://fra-1.example.com:8445', region: 'eu', capacity: 300 });
    expect(joinRequestOf({ ...base, maxViewers: 300, edgeCapacity: 120 }, 'x').capacity).toBe(120);
  });
});
