/**
 * The systemd unit of a relay host (`npm run install:relay` writes it where systemd runs). Restarted on failure;
 * SIGTERM first, which drains the relay at its edge (its pulls move to other relays) before it closes, so the stop
 * timeout leaves room for that; its own user, state under /var/lib/siphon, settings from /etc/siphon/relay.env.
 */
import { RELAY_NODE_ARGS } from '../node-args.ts';

export const UNIT_NAME = 'siphon-relay.service';
export const ENV_FILE = '/etc/siphon/relay.env';
/** The edge's drain waits up to 10 s per pull for its new copy; a minute and a half covers a busy relay. */
const STOP_TIMEOUT_S = 90;

export function relayUnit(o: { root: string; node: string; user: string }): string {
  return `# Written by scripts/install-relay.sh (Siphon). Settings: ${ENV_FILE} (docs/operations.md).
[Unit]
Description=Siphon relay (WCS-compatible media relay on Janus)
Documentation=file://${o.root}/docs/operations.md
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${o.user}
Group=${o.user}
WorkingDirectory=${o.root}
EnvironmentFile=-${ENV_FILE}
Environment=SIPHON_WORK_DIR=/var/lib/siphon/work SIPHON_RECORD_DIR=/var/lib/siphon/records
StateDirectory=siphon siphon/work siphon/records
ExecStart=${o.node} ${RELAY_NODE_ARGS.join(' ')}
KillSignal=SIGTERM
KillMode=mixed
TimeoutStopSec=${STOP_TIMEOUT_S}
Restart=on-failure
RestartSec=2
LimitNOFILE=65536
NoNewPrivileges=true

[Install]
WantedBy=multi-user.target
`;
}

/** The settings file a fresh install gets: every line commented, saying what to set. */
export const ENV_TEMPLATE = `# Siphon relay settings (any SIPHON_* variable; docs/operations.md lists them all). Restart after a change:
#   systemctl restart siphon-relay
# To join an edge (a CDN of relays), set both:
#SIPHON_EDGE_URL=https://edge.example.com
#SIPHON_EDGE_JOIN_TOKEN=
# How the edge and viewers reach this relay, and where it is:
#SIPHON_PUBLIC_URL=https://relay1.example.com:8443
#SIPHON_PUBLIC_IP=
#SIPHON_REGION=eu-central
#SIPHON_MAX_VIEWERS=200
#SIPHON_EDGE_CAPACITY=200
# A WCS flashphoner.properties works too:
#SIPHON_CONFIG=/etc/siphon/flashphoner.properties
`;
