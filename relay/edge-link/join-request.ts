/** What this relay tells the edge when it joins: its id, its URLs as others reach it, its region and capacity. */
import { hostname } from 'node:os';
import type { JoinRequest } from '../../contract/membership.ts';
import type { Config } from '../config.ts';

type JoinSettings = Pick<Config, 'relayId' | 'publicUrl' | 'publicHlsUrl' | 'publicIp' | 'wsPort' | 'hlsPort' | 'hlsTlsPort' | 'region' | 'maxViewers' | 'edgeCapacity'>;

export function joinRequestOf(config: JoinSettings, host = hostname()): JoinRequest {
  const id = config.relayId || host.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
  const url = (config.publicUrl || `http://${config.publicIp || host}:${config.wsPort}`).replace(/\/+$/, '');
  const hls = config.publicHlsUrl || (() => {
    const u = new URL(url);
    u.port = String(u.protocol === 'https:' ? config.hlsTlsPort : config.hlsPort);
    return u.origin;
  })();
  const capacity = config.edgeCapacity || config.maxViewers;
  return { id, url, hls: hls.replace(/\/+$/, ''), region: config.region, ...(capacity > 0 ? { capacity } : {}) };
}
