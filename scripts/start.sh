#!/usr/bin/env bash
# `npm start`: set up what is missing, then run a relay on :8080 (WCS Websocket API, REST, pages).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export SIPHON_DEMO_STREAM="${SIPHON_DEMO_STREAM-demo}"
exec node --import tsx relay/main.ts
