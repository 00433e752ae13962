/**
 * Writes a Janus configuration folder holding only what Siphon uses: the NoSIP and Streaming plugins,
 * the WebSockets transport (API and Admin API on 127.0.0.1). Plugins and transports are loaded from
 * folders of symlinks so Janus cannot pick up anything else installed on the host.
 */
import { mkdirSync, symlinkSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Requirement } from '../host/requirement.ts';
import { BUILT_JANUS_BINARY, BUILT_JANUS_LIB_DIR, JANUS_BUILD_REQUIREMENTS, builtJanusRequirement } from './build/janus-build.ts';
import type { PortRange } from '../config.ts';

/** Where Debian's `janus` package keeps its plugins, for a relay told to run /usr/bin/janus. */
const DEBIAN_JANUS_LIB_DIR = '/usr/lib/x86_64-linux-gnu/janus';
const PLUGINS = ['libjanus_nosip.so', 'libjanus_streaming.so'];
const TRANSPORTS = ['libjanus_websockets.so'];
/**
 * The first DTLS retransmission (the patched Janus honours it with OpenSSL). A lost first flight costs this
 * instead of OpenSSL's 1 s; a flight sent twice on a slow path costs nothing but a packet.
 */
export const DTLS_TIMEOUT_MS = 100;
/**
 * Lost packets in a second that make Janus emit `slowlink` on a leg (its code default, 0, never does; its
 * sample config says 4). A pull counts them for the operator (find_all `link.slowlinkEvents`).
 */
export const SLOWLINK_THRESHOLD = 4;

/** The plugins and transports a Janus binary loads: beside a built prefix, else Debian's folder. */
export function janusLibDir(binary: string): string {
  return binary === BUILT_JANUS_BINARY ? BUILT_JANUS_LIB_DIR : DEBIAN_JANUS_LIB_DIR;
}

/** What the generated config loads, checked by name on the host (`npm run doctor`), and what building it takes. */
export const JANUS_REQUIREMENTS: Requirement[] = [
  ...JANUS_BUILD_REQUIREMENTS,
  builtJanusRequirement('janus', BUILT_JANUS_BINARY, 'Janus Gateway, spawned by the relay (relay/janus/runtime.ts)'),
  ...[...PLUGINS.map((so) => ['plugins', so]), ...TRANSPORTS.map((so) => ['transports', so])].map(([sub, so]) =>
    builtJanusRequirement(so!, join(BUILT_JANUS_LIB_DIR, sub!, so!), 'the generated Janus config (relay/janus/config.ts)')),
];

export interface JanusConfigOptions {
  dir: string;
  apiPort: number;
  adminPort: number;
  adminSecret: string;
  /** Required in Streaming `create`/`destroy`, so a viewer through the proxy cannot make mountpoints. */
  streamingAdminKey: string;
  icePorts: PortRange;
  nosipPorts: PortRange;
  mountpointPorts: PortRange;
  publicIp: string;
  iceInterfaces: string[];
  /**
   * ICE-TCP: passive TCP candidates in rtp_port_range beside the UDP ones. Janus warns it may misbehave without ICE Lite;
   * libnice still runs checks in lite mode and resolves roles, so relay-to-relay legs stay full ICE (UDP preferred).
   */
  iceTcp?: boolean;
  /** Media threads shared by all handles (Janus `event_loops`), at least 1. */
  eventLoops: number;
  libDir?: string;
}

const range = (r: PortRange) => `"${r.from}-${r.to}"`;

export function writeJanusConfig(o: JanusConfigOptions): { configFile: string; logFile: string } {
  const libDir = o.libDir ?? BUILT_JANUS_LIB_DIR;
  if (existsSync(o.dir)) rmSync(o.dir, { recursive: true, force: true });
  for (const sub of ['plugins', 'transports', 'events', 'loggers']) mkdirSync(join(o.dir, sub), { recursive: true });
  for (const so of PLUGINS) symlinkSync(join(libDir, 'plugins', so), join(o.dir, 'plugins', so));
  for (const so of TRANSPORTS) symlinkSync(join(libDir, 'transports', so), join(o.dir, 'transports', so));

  const nat = [
    'ignore_mdns = true',
    o.publicIp ? `nat_1_1_mapping = "${o.publicIp}"` : '',
    o.iceInterfaces.length ? `ice_enforce_list = "${o.iceInterfaces.join(',')}"` : '',
    o.iceTcp ? 'ice_tcp = true' : '',
  ].filter(Boolean).join('\n  ');

  writeFileSync(join(o.dir, 'janus.jcfg'), `general: {
  configs_folder = "${o.dir}"
  plugins_folder = "${join(o.dir, 'plugins')}"
  transports_folder = "${join(o.dir, 'transports')}"
  events_folder = "${join(o.dir, 'events')}"
  loggers_folder = "${join(o.dir, 'loggers')}"
  debug_level = 4
  event_loops = ${o.eventLoops}
  admin_secret = "${o.adminSecret}"
  server_name = "siphon"
  session_timeout = 60
}
certificates: {}
media: {
  rtp_port_range = ${range(o.icePorts)}
  dtls_timeout = ${DTLS_TIMEOUT_MS}
  slowlink_threshold = ${SLOWLINK_THRESHOLD}
  ipv6 = false
}
nat: {
  ${nat}
}
plugins: {}
transports: {}
events: { broadcast = false }
loggers: {}
`);
  writeFileSync(join(o.dir, 'janus.transport.websockets.jcfg'), `general: {
  json = "compact"
  ws = true
  ws_port = ${o.apiPort}
  ws_ip = "127.0.0.1"
  wss = false
}
admin: {
  admin_ws = true
  admin_ws_port = ${o.adminPort}
  admin_ws_ip = "127.0.0.1"
  admin_wss = false
}
`);
  writeFileSync(join(o.dir, 'janus.plugin.nosip.jcfg'), `general: {
  local_ip = "127.0.0.1"
  sdp_ip = "127.0.0.1"
  rtp_port_range = ${range(o.nosipPorts)}
  events = false
}
`);
  writeFileSync(join(o.dir, 'janus.plugin.streaming.jcfg'), `general: {
  string_ids = true
  admin_key = "${o.streamingAdminKey}"
  rtp_port_range = ${range(o.mountpointPorts)}
  events = false
}
`);
  return { configFile: join(o.dir, 'janus.jcfg'), logFile: join(o.dir, 'janus.log') };
}
