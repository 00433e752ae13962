#!/usr/bin/env bash
# Installs what Siphon needs on Debian 12, as root, only when missing: Janus, Chromium, GStreamer
# (test sources), iproute2 (test namespaces), tcpdump (bench B3), and the npm dependencies from the lockfile.
# Idempotent: with everything present it only checks, in well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }
have janus || need_apt+=(janus)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
have gst-launch-1.0 || need_apt+=(gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad)
have ip || need_apt+=(iproute2)
have ss || need_apt+=(iproute2)
have setpriv || need_apt+=(util-linux)
have openssl || need_apt+=(openssl)
have curl || need_apt+=(curl)
have pgrep || need_apt+=(procps)
have tcpdump || need_apt+=(tcpdump) # bench B3 reads added latency off the wire

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing ${need_apt[*]}; run as root (or install them) first" >&2
    exit 1
  fi
  echo "setup: installing ${need_apt[*]} (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# npm ci only when node_modules is missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
