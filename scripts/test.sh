#!/usr/bin/env bash
# `npm test`: set up what is missing, type-check, then run every vitest project (unit, integration
# against a real Janus, end-to-end in Chromium). Writes a JSON report to .run/vitest.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p .run
node_modules/.bin/tsc -p . --noEmit
node_modules/.bin/tsc -p worker --noEmit
exec node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json=.run/vitest.json "$@"
