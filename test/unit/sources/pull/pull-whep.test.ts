/**
 * A pull from a WHEP endpoint (`uri` http://…): the same state machine as a WCS pull, fast, against a real
 * HTTP endpoint on loopback speaking WHEP and a faked Janus (the one faked boundary).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventEmitter, once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../../../relay/config.ts';
import { Logger, setLogLevel } from '../../../../relay/log.ts';
import { StreamRegistry } from '../../../../relay/streams/registry.ts';
import { UdpPortPool } from '../../../../relay/media/udp-port-pool.ts';
import { Pulls } from '../../../../relay/sources/pull/pulls.ts';
import type { Pull, PullState } from '../../../../relay/sources/pull/pull.ts';
import { PullRefusedError } from '../../../../relay/sources/pull/pulls.ts';
import { FakeJanus } from '../../fakes/fake-janus.ts';
import { MountpointSink } from '../../../../relay/outputs/mountpoint/mountpoint-sink.ts';
import { openAccess } from '../../fakes/open-access.ts';
import { recordedWebhooks } from '../../fakes/recorded-webhooks.ts';

setLogLevel('error');

const reaches = (pull: Pull, to: PullState) => new Promise<void>((resolve) => {
  if (pull.state === to) return resolve();
  const on = (s: PullState) => { if (s === to) { pull.off('state', on); resolve(); } };
  pull.on('state', on);
});

/** A WHEP endpoint: answers an offer with itself turned around (the faked Janus reads any SDP), or with `refuse`. */
class FakeWhepEndpoint {
  readonly requests: { method: string; url: string; type?: string }[] = [];
  refuse: number | undefined;
  private constructor(private readonly server: Server) {
    server.on('request', (req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        this.requests.push({ method: req.method!, url: req.url!, type: req.headers['content-type'] });
        if (req.method === 'DELETE') return void res.writeHead(200).end();
        if (this.refuse) return void res.writeHead(this.refuse, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
        res.writeHead(201, { 'content-type': 'application/sdp', location: '/whep/cam/session-1' }).end(body.replace(/a=recvonly/g, 'a=sendonly'));
      });
    });
  }
  static async start(): Promise<FakeWhepEndpoint> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new FakeWhepEndpoint(server);
  }
  get url(): string { return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/whep/cam`; }
  close(): Promise<void> { this.server.closeAllConnections(); return new Promise((r) => this.server.close(() => r())); }
}

describe('Pull from a WHEP endpoint', () => {
  let endpoint: FakeWhepEndpoint;
  let pulls: Pulls;

  beforeEach(async () => {
    endpoint = await FakeWhepEndpoint.start();
    const config = loadConfig({ SIPHON_PULL_STALL_MS: '300', SIPHON_PULL_RETRY_MAX_MS: '60' });
    const access = Object.assign(new EventEmitter(), { state: 'up' as const, current: new FakeJanus(), streamingAdminKey: 'k' }) as never;
    const teePorts = new UdpPortPool({ from: 47000, to: 47999 }, 65536);
    pulls = new Pulls({ config, log: new Logger({ test: 'pull-whep' }), registry: new StreamRegistry(), teePorts, janus: access,
      ownSinks: MountpointSink.forEveryStream({ janus: access, teePorts }), access: openAccess(), nodeId: '127.0.0.1', webhooks: recordedWebhooks() });
  });

  afterEach(async () => {
    await pulls.closeAll();
    await endpoint.close();
  });

  it('POSTs the offer as application/sdp, PLAYING once answered and the leg is up; terminate DELETEs the session', async () => {
    const pull = await pulls.create({ uri: endpoint.url, remoteStreamName: '', localStreamName: 'w' });
    await reaches(pull, 'PLAYING');
    expect(endpoint.requests[0]).toEqual({ method: 'POST', url: '/whep/cam', type: 'application/sdp' });
    await pulls.terminate({ localStreamName: 'w' }, 'Stopped by rest /terminate');
    await expect.poll(() => endpoint.requests.at(-1)).toEqual({ method: 'DELETE', url: '/whep/cam/session-1', type: undefined });
  });

  it("an endpoint that refuses: FAILED with its code, retried, PLAYING once it answers", async () => {
    endpoint.refuse = 404;
    const pull = await pulls.create({ uri: endpoint.url, remoteStreamName: '', localStreamName: 'w' });
    await reaches(pull, 'FAILED');
    expect(pull.info).toMatch(/^the WHEP endpoint answered 404/);
    endpoint.refuse = undefined;
    await reaches(pull, 'PLAYING');
    expect(pull.attempts).toBeGreaterThanOrEqual(2);
  });

  it('a cloud metadata address is refused (403, says how to allow it) and nothing is dialled', async () => {
    await expect(pulls.create({ uri: 'http://169.254.169.254/latest/meta-data', remoteStreamName: '', localStreamName: 'm' }))
      .rejects.toMatchObject({ status: 403, message: expect.stringMatching(/cloud metadata address.*pull_allowed_origins/) } satisfies Partial<PullRefusedError>);
    expect(pulls.all()).toEqual([]);
  });
});
