#!/usr/bin/env bash
# `npm start`: set up what is missing, then run relay A (:8080, demo stream), relay B (:9080) and the edge (:8787).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Everything below runs on the Node 24 that setup installed (node_modules/.bin/node), not the machine's.
export PATH="$PWD/node_modules/.bin:$PATH"

exec node --import tsx scripts/start.ts
