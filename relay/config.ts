/**
 * Relay settings. Every setting has a default, an environment variable and (where WCS has one) the
 * `flashphoner.properties` key WCS uses, so an operator's existing file carries over. Precedence:
 * environment > properties file (SIPHON_CONFIG) > default.
 */
import { readFileSync } from 'node:fs';
import { fromProperties, parseProperties } from './properties.ts';
import { BEARER_TOKEN_RULE, isValidBearerToken } from '../contract/bearer.ts';
import { RestKeys, RestKeysError } from '../contract/rest-keys.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * A URL the relay calls must not carry a user or password: fetch refuses such a URL with a message that repeats it,
 * which would put the credential in the logs. Backends that need one take it as a header (the hooks' HMAC, the
 * webhooks' signature).
 */
export function refuseUrlCredentials(setting: string, url: string): void {
  const parsed = URL.parse(url);
  if (parsed && (parsed.username || parsed.password)) throw new ConfigError(`${setting}: a URL with a user or password in it is refused (it would end up in logs); sign requests instead`);
}

type Kind = 'string' | 'int' | 'bool' | 'range' | 'list';
/** A range of UDP ports, both ends included. */
export type PortRange = { from: number; to: number };

interface SettingSpec<K extends Kind> {
  kind: K;
  env: string;
  property: string;
  default: Parsed<K>;
  doc: string;
}
type Parsed<K extends Kind> = K extends 'int' ? number
  : K extends 'bool' ? boolean
  : K extends 'range' ? PortRange
  : K extends 'list' ? string[]
  : string;

const s = <K extends Kind>(spec: SettingSpec<K>): SettingSpec<K> => spec;

export const settings = {
  bindAddress: s({ kind: 'string', env: 'SIPHON_BIND', property: 'ip_local', default: '0.0.0.0',
    doc: 'Address the WS/HTTP listeners bind to.' }),
  wsPort: s({ kind: 'int', env: 'SIPHON_WS_PORT', property: 'ws.port', default: 8080,
    doc: 'WCS Websocket API (ws://) and HTTP: REST, /client2/ pages, viewer, /health, /metrics.' }),
  wssPort: s({ kind: 'int', env: 'SIPHON_WSS_PORT', property: 'wss.port', default: 8443,
    doc: 'Same as ws.port over TLS; only opened when a certificate is configured.' }),
  tlsCert: s({ kind: 'string', env: 'SIPHON_TLS_CERT', property: 'siphon.tls_cert', default: '',
    doc: 'PEM certificate (chain) for wss/https. Empty: no TLS listener.' }),
  tlsKey: s({ kind: 'string', env: 'SIPHON_TLS_KEY', property: 'siphon.tls_key', default: '',
    doc: 'PEM private key for tls_cert.' }),
  restToken: s({ kind: 'string', env: 'SIPHON_REST_TOKEN', property: 'siphon.rest_token', default: '',
    doc: 'Legacy: one key with every scope, sent as `Authorization: Bearer <token>` (or Basic `legacy:<token>`); prefer SIPHON_REST_KEYS. With either set, /rest-api/*, /metrics and /?action=stat need a key. Letters, digits and - . _ ~ + / only (RFC 6750), optionally ending in =; anything else is refused at start.' }),
  restKeys: s({ kind: 'string', env: 'SIPHON_REST_KEYS', property: 'siphon.rest_keys', default: '',
    doc: 'Named REST keys with scopes, stored hashed: JSON `{"<name>": {"scopes": ["pull", "stat"], "hashes": ["sha256:<hex>"]}}`, two hashes per name while rotating; `npm run key -- <name> <scopes…>` makes one. Scopes and routes: docs/api/rest.md. A bad entry is refused at start.' }),
  whepToken: s({ kind: 'string', env: 'SIPHON_WHEP_TOKEN', property: 'siphon.whep_token', default: '',
    doc: 'When set, WHEP and WHIP requests (`/whep/*`, `/whip/*`) need `Authorization: Bearer <token>` (the players\' and publishers\' token, apart from the REST one). Empty: open, like the viewer page.' }),
  restHooksUrl: s({ kind: 'string', env: 'SIPHON_REST_HOOKS_URL', property: 'siphon.rest_hooks_url', default: '',
    doc: 'WCS REST hooks: the URL of the `defaultApp` application (WCS appends `/connect`, `/publishStream`…, and so does Siphon). Empty: no hooks for defaultApp. See docs/api/access.md.' }),
  restHooksApps: s({ kind: 'string', env: 'SIPHON_REST_HOOKS_APPS', property: 'siphon.rest_hooks_apps', default: '',
    doc: 'Further applications, chosen by the client\'s `appKey`: JSON `{"<appKey>": "<url>"}` or `{"<appKey>": {"url": "<url>", "methods": ["connect", …]}}`. A client whose appKey has no application gets no hooks.' }),
  restHooksMethods: s({ kind: 'list', env: 'SIPHON_REST_HOOKS_METHODS', property: 'siphon.rest_hooks_methods',
    default: ['connect', 'publishStream', 'playStream', 'playHLS', 'OnDataEvent', 'StreamStatusEvent', 'ConnectionStatusEvent'],
    doc: 'Methods sent to an application that names none itself (WCS: `add app-rest-method`).' }),
  restHooksOnError: s({ kind: 'string', env: 'SIPHON_REST_HOOKS_ON_ERROR', property: 'siphon.rest_hooks_on_error', default: 'FAIL',
    doc: 'What a refused (non-200) or unreachable publishStream/playStream/playHLS hook means when the connect answer\'s restClientConfig does not say: FAIL refuses the action (Siphon\'s default: fail closed); LOG lets it go ahead, as WCS\'s default does. A refused connect is always refused.' }),
  restHooksTimeoutMs: s({ kind: 'int', env: 'SIPHON_REST_HOOKS_TIMEOUT_MS', property: 'siphon.rest_hooks_timeout_ms', default: 2000,
    doc: 'A hook not answered by then counts as an unreachable backend (WCS: rest_request_timeout, 15 s).' }),
  restHooksKeepAliveMs: s({ kind: 'int', env: 'SIPHON_REST_HOOKS_KEEPALIVE_MS', property: 'streaming_sessions_keep_alive_interval', default: 10000,
    doc: 'How often an application with the StreamKeepAliveEvent method hears of each live WCS stream (ms); a refusal ends that stream, as in WCS. 0: never.' }),
  restHooksSecret: s({ kind: 'string', env: 'SIPHON_REST_HOOKS_SECRET', property: 'rest_hook_secret_key', default: '',
    doc: 'When set, every hook carries `Authorization: WCS <hex HMAC-MD5 of the body>` with this key, as WCS does with rest_hook_send_hash.' }),
  tokenSecret: s({ kind: 'string', env: 'SIPHON_TOKEN_SECRET', property: 'siphon.token_secret', default: '',
    doc: 'Signed tokens (JWT, HS256) with this shared secret admit publishers and players. With any token setting, publish and play need a token whose `siphon_permissions` cover the stream.' }),
  tokenPublicKeys: s({ kind: 'string', env: 'SIPHON_TOKEN_PUBLIC_KEYS', property: 'siphon.token_public_keys', default: '',
    doc: 'Public keys for ES256/EdDSA tokens: a JWKS (`{"keys": [...]}`, each with its `kid`), or the path of a file holding one.' }),
  tokenJwksUrl: s({ kind: 'string', env: 'SIPHON_TOKEN_JWKS_URL', property: 'siphon.token_jwks_url', default: '',
    doc: 'Fetch those public keys from this JWKS URL instead (fetched again when a token names an unknown `kid`).' }),
  hlsSessionSecret: s({ kind: 'string', env: 'SIPHON_HLS_SESSION_SECRET', property: 'siphon.hls_session_secret', default: '',
    doc: 'Key of the short-lived session tokens a guarded relay puts in its HLS media paths. Empty: a random key per start (an edge in front of the relay needs the same key to check them).' }),
  maxViewers: s({ kind: 'int', env: 'SIPHON_MAX_VIEWERS', property: 'siphon.max_viewers', default: 0,
    doc: 'WebRTC viewers (WCS players, WHEP, viewer page) this relay takes; past it new ones are refused (WCS FAILED, WHEP 503 with Retry-After) and the edge sends viewers elsewhere. HLS is not counted. 0: no limit.' }),
  accessGraceMs: s({ kind: 'int', env: 'SIPHON_ACCESS_GRACE_MS', property: 'siphon.access_grace_ms', default: 300000,
    doc: 'While the hook backend is unreachable, a viewer it admitted to the same stream within this long is admitted again (publishers and new viewers are refused).' }),
  webhookUrl: s({ kind: 'string', env: 'SIPHON_WEBHOOK_URL', property: 'siphon.webhook_url', default: '',
    doc: 'Where the relay POSTs its lifecycle notifications (streams published and unpublished, plays started and stopped, recordings finished, pull and push states, access denied), signed, retried, in order per stream. Empty: none. See docs/api/webhooks.md.' }),
  webhookSecret: s({ kind: 'string', env: 'SIPHON_WEBHOOK_SECRET', property: 'siphon.webhook_secret', default: '',
    doc: 'The Standard Webhooks signing key, `whsec_<base64 of 24–64 bytes>` (`echo "whsec_$(openssl rand -base64 32)"`). Required with SIPHON_WEBHOOK_URL: the relay refuses to start without it.' }),
  webhookEvents: s({ kind: 'list', env: 'SIPHON_WEBHOOK_EVENTS', property: 'siphon.webhook_events', default: [],
    doc: 'Only these event types, comma-separated (`stream.published,play.stopped`…). Empty: all.' }),
  webhookTimeoutMs: s({ kind: 'int', env: 'SIPHON_WEBHOOK_TIMEOUT_MS', property: 'siphon.webhook_timeout_ms', default: 5000,
    doc: 'A POST not answered by then is retried like an unreachable receiver.' }),
  whipWhepIceServers: s({ kind: 'list', env: 'SIPHON_WHIP_WHEP_ICE_SERVERS', property: 'siphon.whip_whep_ice_servers', default: [],
    doc: 'STUN/TURN servers WHIP and WHEP clients are told about (`Link: rel="ice-server"` on each 201), comma-separated: `stun:host:port` or `turn:host:port?transport=udp|username|credential`.' }),
  rtmpStreamNamePrefix: s({ kind: 'string', env: 'SIPHON_RTMP_STREAM_NAME_PREFIX', property: 'rtmp_transponder_stream_name_prefix', default: 'rtmp_',
    doc: 'What a publish with `rtmpUrl` (SDK republishing) is called at the RTMP server: `<rtmpUrl>/<prefix><stream>`, as in WCS.' }),
  keepAliveIntervalMs: s({ kind: 'int', env: 'SIPHON_KEEPALIVE_INTERVAL_MS', property: 'keep_alive.server_interval',
    default: 5000, doc: 'Server ping interval on WCS Websocket sessions (ms).' }),
  keepAliveProbes: s({ kind: 'int', env: 'SIPHON_KEEPALIVE_PROBES', property: 'keep_alive.probes', default: 10,
    doc: 'Missed pongs after which a WCS session is dropped.' }),
  maxFrameBytes: s({ kind: 'int', env: 'SIPHON_MAX_FRAME_BYTES', property: 'siphon.max_frame_bytes', default: 256 * 1024,
    doc: 'Largest WCS Websocket frame accepted; a larger one ends that session (close 1009).' }),
  iceTimeoutMs: s({ kind: 'int', env: 'SIPHON_ICE_TIMEOUT_MS', property: 'siphon.ice_timeout_ms', default: 15000,
    doc: 'A publish/play whose WebRTC leg is not up by then fails with `Failed by ICE timeout`.' }),
  mediaPorts: s({ kind: 'range', env: 'SIPHON_MEDIA_PORTS', property: 'media_port_from-media_port_to',
    default: { from: 31001, to: 32000 }, doc: 'UDP range Janus uses for WebRTC (ICE) legs.' }),
  nosipPorts: s({ kind: 'range', env: 'SIPHON_NOSIP_PORTS', property: 'siphon.nosip_ports',
    default: { from: 33000, to: 33999 }, doc: 'UDP range of NoSIP plain-RTP sockets (loopback).' }),
  mountpointPorts: s({ kind: 'range', env: 'SIPHON_MOUNTPOINT_PORTS', property: 'siphon.mountpoint_ports',
    default: { from: 34000, to: 34999 }, doc: 'UDP range of Streaming mountpoint ingest ports (loopback).' }),
  teePorts: s({ kind: 'range', env: 'SIPHON_TEE_PORTS', property: 'siphon.tee_ports',
    default: { from: 35000, to: 36999 }, doc: "UDP range of the relay's own tee sockets (loopback)." }),
  udpReceiveBufferBytes: s({ kind: 'int', env: 'SIPHON_UDP_RECEIVE_BUFFER', property: 'siphon.udp_receive_buffer',
    default: 1024 * 1024, doc: "Receive buffer of each of the relay's own RTP sockets, so keyframe bursts are not dropped "
      + 'while the event loop is busy. Capped by net.core.rmem_max (the relay logs a warning then).' }),
  publicIp: s({ kind: 'string', env: 'SIPHON_PUBLIC_IP', property: 'ip', default: '',
    doc: 'Public address put in ICE candidates (Janus nat_1_1_mapping) when behind 1:1 NAT.' }),
  iceInterfaces: s({ kind: 'list', env: 'SIPHON_ICE_INTERFACES', property: 'siphon.ice_interfaces', default: [],
    doc: 'Only gather ICE candidates on these interfaces (Janus ice_enforce_list). Empty: all but loopback.' }),
  wcsAgentSsl: s({ kind: 'bool', env: 'SIPHON_WCS_AGENT_SSL', property: 'wcs_agent_ssl', default: false,
    doc: 'Allow pulls over wss:// (as in WCS, off by default: pull URIs must then be ws://).' }),
  pullCaFile: s({ kind: 'string', env: 'SIPHON_PULL_CA_FILE', property: 'siphon.pull_ca_file', default: '',
    doc: 'PEM file of extra CAs trusted for wss:// pulls (e.g. a remote\'s self-made certificate).' }),
  pullAllowSelfSigned: s({ kind: 'bool', env: 'SIPHON_PULL_ALLOW_SELF_SIGNED', property: 'siphon.pull_allow_self_signed',
    default: false, doc: 'Skip TLS verification for wss:// pulls. Prefer SIPHON_PULL_CA_FILE.' }),
  pullAllowedOrigins: s({ kind: 'list', env: 'SIPHON_PULL_ALLOWED_ORIGINS', property: 'pull_allowed_origins', default: [],
    doc: 'Hosts a pull may dial, comma-separated: `wcs1.example.com`, `*.example.com`, `10.0.0.5:8080`. Empty: any.' }),
  pullRetryMaxMs: s({ kind: 'int', env: 'SIPHON_PULL_RETRY_MAX_MS', property: 'siphon.pull_retry_max_ms', default: 30000,
    doc: 'Cap of the exponential backoff (with jitter) between pull attempts; the first retry comes within 1 s.' }),
  pullPlayoutMaxMs: s({ kind: 'int', env: 'SIPHON_PULL_PLAYOUT_MAX_MS', property: 'siphon.pull_playout_max_ms', default: 400,
    doc: 'Cap of a pulled stream\'s playout buffer (ms). Once a pull has repaired a loss, its packets are held the measured NACK round trip + 60 ms, so repaired packets reach viewers in order (no freeze, no audio concealment) at that much added latency; a clean pull holds nothing. 0: never hold.' }),
  pullStallMs: s({ kind: 'int', env: 'SIPHON_PULL_STALL_MS', property: 'siphon.pull_stall_ms', default: 5000,
    doc: 'A PLAYING pull that receives no RTP for this long reconnects.' }),
  janusBinary: s({ kind: 'string', env: 'SIPHON_JANUS_BINARY', property: 'siphon.janus_binary', default: '',
    doc: 'Janus executable the relay spawns. Empty: the one setup builds, `.janus/bin/janus` (Janus 1.1.2 with the patches of relay/janus/build); `/usr/bin/janus` runs Debian\'s own, with its 1 s DTLS stalls and no repair across lossy links (see README, Pulls across real networks).' }),
  janusApiPort: s({ kind: 'int', env: 'SIPHON_JANUS_API_PORT', property: 'siphon.janus_api_port', default: 8188,
    doc: 'Port of the spawned Janus WS API (127.0.0.1 only).' }),
  janusAdminPort: s({ kind: 'int', env: 'SIPHON_JANUS_ADMIN_PORT', property: 'siphon.janus_admin_port', default: 7188,
    doc: 'Port of the spawned Janus Admin WS API (127.0.0.1 only).' }),
  janusUrl: s({ kind: 'string', env: 'SIPHON_JANUS_URL', property: 'siphon.janus_url', default: '',
    doc: 'Use an already running Janus at this WS URL instead of spawning one (then no restarts by the relay).' }),
  janusAdminUrl: s({ kind: 'string', env: 'SIPHON_JANUS_ADMIN_URL', property: 'siphon.janus_admin_url', default: '',
    doc: 'Admin WS URL of that external Janus (health checks).' }),
  janusAdminSecret: s({ kind: 'string', env: 'SIPHON_JANUS_ADMIN_SECRET', property: 'siphon.janus_admin_secret',
    default: '', doc: 'Admin secret of the Janus. Empty with a spawned Janus: a random one per start.' }),
  janusStreamingAdminKey: s({ kind: 'string', env: 'SIPHON_JANUS_STREAMING_ADMIN_KEY', property: 'siphon.janus_streaming_admin_key',
    default: '', doc: "Streaming plugin admin_key of an external Janus. Empty with a spawned Janus: a random one per start." }),
  janusEventLoops: s({ kind: 'int', env: 'SIPHON_JANUS_EVENT_LOOPS', property: 'siphon.janus_event_loops', default: 0,
    doc: 'Janus media threads shared by all legs (event_loops). 0: half the CPU cores, at least 1, leaving the rest to '
      + "the relay's Node tee. Janus's own default, a thread per leg, lost 7–35% of packets at 40 pulls on 2 cores; one "
      + 'shared loop lost none (bench/RESULTS.md, B3).' }),
  playerFanout: s({ kind: 'string', env: 'SIPHON_PLAYER_FANOUT', property: 'siphon.player_fanout', default: 'mountpoint',
    doc: "How WHEP viewers and SDK Players get the stream. mountpoint: from the stream's Janus mountpoint, as the viewer "
      + "page does (Janus answers the player's offer; ≈ half the CPU per packet, bench/RESULTS.md B13). tee: a NoSIP leg "
      + "each, fed by its own copy from the relay's Node (what Siphon did before; also used while a stream's mountpoint is down)." }),
  janusHealthIntervalMs: s({ kind: 'int', env: 'SIPHON_JANUS_HEALTH_INTERVAL_MS', property: 'siphon.janus_health_interval_ms',
    default: 2000, doc: 'Admin API ping interval; three failed pings restart a spawned Janus.' }),
  workDir: s({ kind: 'string', env: 'SIPHON_WORK_DIR', property: 'siphon.work_dir', default: '',
    doc: 'Where the generated Janus config and log go. Empty: a fresh temp dir, removed on exit.' }),
  demoStream: s({ kind: 'string', env: 'SIPHON_DEMO_STREAM', property: 'siphon.demo_stream', default: '',
    doc: 'When set, the relay publishes a moving GStreamer test pattern with a tone under this stream name.' }),
  demoKbps: s({ kind: 'int', env: 'SIPHON_DEMO_KBPS', property: 'siphon.demo_kbps', default: 1500,
    doc: 'Video bitrate of the demo stream (CBR).' }),
  demoCodec: s({ kind: 'string', env: 'SIPHON_DEMO_CODEC', property: 'siphon.demo_codec', default: 'vp8',
    doc: 'Video codec of the demo stream: vp8, or h264 (constrained baseline; its HLS output needs no encoder).' }),
  demoPattern: s({ kind: 'string', env: 'SIPHON_DEMO_PATTERN', property: 'siphon.demo_pattern', default: 'ball',
    doc: 'GStreamer videotestsrc pattern of the demo stream (ball; snow makes the encoder use its whole bitrate).' }),
  demoSize: s({ kind: 'string', env: 'SIPHON_DEMO_SIZE', property: 'siphon.demo_size', default: '640x360',
    doc: 'Frame size of the demo stream, WIDTHxHEIGHT (30 fps).' }),
  codecs: s({ kind: 'list', env: 'SIPHON_CODECS', property: 'codecs', default: ['opus', 'vp8', 'h264'],
    doc: 'Codecs in order of preference, as WCS lists them; Siphon reads the order of vp8 and h264 (what a publisher '
      + 'offering both sends). Put h264 first to pass published streams through to HLS without an encoder.' }),
  hlsPort: s({ kind: 'int', env: 'SIPHON_HLS_PORT', property: 'siphon.hls_port', default: 8082,
    doc: 'HTTP port of HLS/LL-HLS: `http://<relay>:8082/<name>/<name>.m3u8`, where the SDK\'s HLS pages look.' }),
  hlsTlsPort: s({ kind: 'int', env: 'SIPHON_HLS_TLS_PORT', property: 'siphon.hls_tls_port', default: 8445,
    doc: 'HTTPS port of HLS, with SIPHON_TLS_CERT set.' }),
  hlsAutoStart: s({ kind: 'bool', env: 'SIPHON_HLS_AUTO_START', property: 'hls_auto_start', default: false,
    doc: 'Package every stream as HLS from its start, not only while someone requests it.' }),
  hlsListSize: s({ kind: 'int', env: 'SIPHON_HLS_LIST_SIZE', property: 'hls_list_size', default: 8,
    doc: 'Complete segments in the playlist (the sliding window kept in memory).' }),
  hlsIdleStopMs: s({ kind: 'int', env: 'SIPHON_HLS_IDLE_STOP_MS', property: 'siphon.hls_idle_stop_ms', default: 30000,
    doc: "A stream's packager stops this long after the last HLS request (without auto start)." }),
  hlsSegmentMs: s({ kind: 'int', env: 'SIPHON_HLS_SEGMENT_MS', property: 'siphon.hls_segment_ms', default: 1000,
    doc: 'Wanted segment duration; segments start on keyframes (asked for from the source, or made by x264).' }),
  hlsPartMs: s({ kind: 'int', env: 'SIPHON_HLS_PART_MS', property: 'siphon.hls_part_ms', default: 250,
    doc: 'LL-HLS PART-TARGET. Parts end at the first frame past 75% of it (200 ms at 30 fps), so a WebRTC '
      + "source's dropped frame does not push one past the target." }),
  hlsX264Preset: s({ kind: 'string', env: 'SIPHON_HLS_X264_PRESET', property: 'siphon.hls_x264_preset', default: 'superfast',
    doc: 'x264 preset for streams that are not H.264 (VP8 is encoded only while its HLS output runs).' }),
  hlsX264Crf: s({ kind: 'int', env: 'SIPHON_HLS_X264_CRF', property: 'siphon.hls_x264_crf', default: 23,
    doc: 'x264 constant rate factor for those streams (capped at 4 Mbit/s).' }),
  hlsAudioKbps: s({ kind: 'int', env: 'SIPHON_HLS_AUDIO_KBPS', property: 'siphon.hls_audio_kbps', default: 96,
    doc: 'AAC bitrate of HLS audio (Opus is decoded and encoded as AAC-LC).' }),
  recordDir: s({ kind: 'string', env: 'SIPHON_RECORD_DIR', property: 'siphon.record_dir', default: 'records',
    doc: 'Where recordings are written (relative to the working directory unless absolute); served at `/client/records/<file>`.' }),
  recordTemplate: s({ kind: 'string', env: 'SIPHON_RECORD_TEMPLATE', property: 'stream_record_policy_template', default: '{streamName}-{startTime}',
    doc: 'Recording file name, as in WCS: `{streamName}`, `{startTime}` (ms since the epoch), `{mediaSessionId}`, `{videoCodec}`, `{audioCodec}`; the extension follows the codec (`.mp4` H.264/AAC, `.webm` VP8/Opus).' }),
  recordMaxDirMb: s({ kind: 'int', env: 'SIPHON_RECORD_MAX_DIR_MB', property: 'siphon.record_max_dir_mb', default: 0,
    doc: 'Cap on what the record directory may hold (MB); recordings stop (state failed, "disk full") when it is reached. 0: no cap.' }),
  recordMinFreeMb: s({ kind: 'int', env: 'SIPHON_RECORD_MIN_FREE_MB', property: 'siphon.record_min_free_mb', default: 512,
    doc: 'Recordings stop when the record directory\'s file system has less free space than this (MB), and none start.' }),
  recordUrlSecret: s({ kind: 'string', env: 'SIPHON_RECORD_URL_SECRET', property: 'siphon.record_url_secret', default: '',
    doc: 'Key of the signed, expiring download links a guarded relay gives its recordings. Empty: a random key per start (links die with a restart).' }),
  recordUrlTtlS: s({ kind: 'int', env: 'SIPHON_RECORD_URL_TTL_S', property: 'siphon.record_url_ttl_s', default: 3600,
    doc: 'How long a signed recording link works (s), on a guarded relay.' }),
  edgeUrl: s({ kind: 'string', env: 'SIPHON_EDGE_URL', property: 'siphon.edge_url', default: '',
    doc: 'The edge to join (a CDN of relays): the relay registers there with its URLs, region and capacity, heartbeats its load, and leaves (drained) on SIGTERM. Empty: it joins nothing (the edge may still list it in RELAYS). See docs/operations.md.' }),
  edgeJoinToken: s({ kind: 'string', env: 'SIPHON_EDGE_JOIN_TOKEN', property: 'siphon.edge_join_token', default: '',
    doc: 'The edge\'s RELAY_JOIN_TOKEN. Required with SIPHON_EDGE_URL. Once joined, the relay\'s REST takes the credential the edge gave it (besides SIPHON_REST_KEYS); a joining relay without keys is not open.' }),
  relayId: s({ kind: 'string', env: 'SIPHON_RELAY_ID', property: 'siphon.relay_id', default: '',
    doc: 'This relay\'s id at the edge (letters, digits, . _ -). Empty: the host name.' }),
  publicUrl: s({ kind: 'string', env: 'SIPHON_PUBLIC_URL', property: 'siphon.public_url', default: '',
    doc: 'This relay\'s REST and Websocket URL as the edge and viewers reach it (`https://relay1.example.com:8443`). Empty: `http://<SIPHON_PUBLIC_IP or the host name>:<ws.port>`.' }),
  publicHlsUrl: s({ kind: 'string', env: 'SIPHON_PUBLIC_HLS_URL', property: 'siphon.public_hls_url', default: '',
    doc: 'Its HLS URL as the edge reaches it. Empty: the REST URL\'s host with the HLS port.' }),
  edgeCapacity: s({ kind: 'int', env: 'SIPHON_EDGE_CAPACITY', property: 'siphon.edge_capacity', default: 0,
    doc: 'Viewers this relay tells the edge it serves: the edge routes by it and makes on-demand copies elsewhere past it (nothing is refused here; SIPHON_MAX_VIEWERS refuses). 0: SIPHON_MAX_VIEWERS, or the edge\'s default (500) when that is 0 too.' }),
  region: s({ kind: 'string', env: 'SIPHON_REGION', property: 'siphon.region', default: '',
    doc: 'A region label the edge uses to keep viewers and pulls near (`eu-central`).' }),
  logLevel: s({ kind: 'string', env: 'SIPHON_LOG_LEVEL', property: 'siphon.log_level', default: 'info',
    doc: 'debug, info, warn or error.' }),
} as const;

export type Settings = typeof settings;
export type Config = { [K in keyof Settings]: Parsed<Settings[K]['kind']> };

function parseValue(kind: Kind, raw: string, name: string): Parsed<Kind> {
  const value = raw.trim();
  switch (kind) {
    case 'int': {
      if (!/^\d+$/.test(value)) throw new ConfigError(`${name}: expected a non-negative integer, got "${raw}"`);
      return Number(value);
    }
    case 'bool': {
      if (!/^(true|false|1|0|yes|no)$/i.test(value)) throw new ConfigError(`${name}: expected true or false, got "${raw}"`);
      return /^(true|1|yes)$/i.test(value);
    }
    case 'range': {
      const m = /^(\d+)\s*-\s*(\d+)$/.exec(value);
      if (!m || Number(m[1]) >= Number(m[2]) || Number(m[2]) > 65535) {
        throw new ConfigError(`${name}: expected a port range like 31001-32000, got "${raw}"`);
      }
      return { from: Number(m[1]), to: Number(m[2]) };
    }
    case 'list':
      return value === '' ? [] : value.split(',').map((v) => v.trim()).filter(Boolean);
    default:
      return value;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const file = env.SIPHON_CONFIG;
  let props = new Map<string, string>();
  if (file) {
    try {
      props = parseProperties(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`SIPHON_CONFIG=${file}: ${(err as Error).message}`);
    }
  }
  const config: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(settings) as [string, SettingSpec<Kind>][]) {
    const raw = env[spec.env] ?? fromProperties(props, spec.property);
    config[key] = raw === undefined ? spec.default : parseValue(spec.kind, raw, env[spec.env] !== undefined ? spec.env : spec.property);
  }
  const token = config.restToken as string;
  if (token && !isValidBearerToken(token)) throw new ConfigError(`SIPHON_REST_TOKEN: ${BEARER_TOKEN_RULE}`);
  try {
    RestKeys.from(config.restKeys as string);
  } catch (err) {
    if (err instanceof RestKeysError) throw new ConfigError(`SIPHON_REST_KEYS: ${err.message}`);
    throw err;
  }
  if (!['mountpoint', 'tee'].includes(config.playerFanout as string)) throw new ConfigError(`SIPHON_PLAYER_FANOUT: mountpoint or tee, got "${config.playerFanout}"`);
  checkEdgeLink(config as Config);
  if (!['FAIL', 'LOG'].includes(config.restHooksOnError as string)) throw new ConfigError(`SIPHON_REST_HOOKS_ON_ERROR: FAIL or LOG, got "${config.restHooksOnError}"`);
  return config as Config;
}

function checkEdgeLink(c: Pick<Config, 'edgeUrl' | 'edgeJoinToken' | 'relayId'>): void {
  if (c.edgeUrl && !/^https?:$/.test(URL.parse(c.edgeUrl)?.protocol ?? '')) throw new ConfigError(`SIPHON_EDGE_URL: an http:// or https:// URL, got "${c.edgeUrl}"`);
  if (c.edgeUrl) refuseUrlCredentials('SIPHON_EDGE_URL', c.edgeUrl);
  if (c.edgeUrl && !c.edgeJoinToken) throw new ConfigError('SIPHON_EDGE_URL is set without SIPHON_EDGE_JOIN_TOKEN: give the edge\'s RELAY_JOIN_TOKEN');
  if (c.relayId && !/^[A-Za-z0-9._-]{1,64}$/.test(c.relayId)) throw new ConfigError(`SIPHON_RELAY_ID: letters, digits and . _ - only (1 to 64), got "${c.relayId}"`);
}
