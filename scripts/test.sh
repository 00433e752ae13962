#!/usr/bin/env bash
# `npm test`: set up what is missing, type-check, then run the vitest projects worker (workerd), unit,
# integration (real Janus) and e2e (Chromium, wrangler dev). Writes a JSON report to .run/vitest.json.
# `npm run test:faults` passes `faults` as the first argument: the slow fault-injection and fuzz suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Everything below runs on the Node 24 that setup installed (node_modules/.bin/node), not the machine's.
export PATH="$PWD/node_modules/.bin:$PATH"
mkdir -p .run
echo "test: $(node --version) ($(command -v node))"
node_modules/.bin/tsc -p . --noEmit
node_modules/.bin/tsc -p worker --noEmit
if [ "${1:-}" = faults ]; then
  shift
  exec node_modules/.bin/vitest run --project faults --reporter=default --reporter=json --outputFile.json=.run/vitest-faults.json "$@"
fi
exec node_modules/.bin/vitest run --project worker --project unit --project integration --project e2e \
  --reporter=default --reporter=json --outputFile.json=.run/vitest.json "$@"
