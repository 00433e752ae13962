#!/usr/bin/env bash
# One command for a relay host on a fresh Debian 12, as root: Node and npm from Debian when missing (npm then brings
# Node 24 into node_modules, which runs everything), only what a relay runs (setup.sh --relay: no dev dependencies,
# no Chromium, nginx or tcpdump), the patched Janus, then the relay's user, /etc/siphon/relay.env and the systemd unit
# (scripts/relay-host.ts). docs/operations.md: install, join, verify.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then echo "install-relay: run as root (it installs Debian packages and a systemd unit)" >&2; exit 1; fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install-relay: installing nodejs and npm (apt) to fetch the npm dependencies"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
bash scripts/setup.sh --relay
node_modules/.bin/node --import tsx scripts/relay-host.ts
