#!/usr/bin/env bash
# pnpm test: build, start the real servers (Redis, Memcached, Kafka) on 127.0.0.1, run every
# vitest project (unit, conformance against each server, faults), write reports/vitest.json,
# and stop the servers this run started. Extra arguments go to vitest.
#
# Without root or network, servers that cannot start make their suites skip with a loud
# warning; under CI=true a server that cannot start is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p reports

pnpm exec turbo run build --output-logs=errors-only || exit 1

# shellcheck disable=SC1091
source scripts/services/session.sh
if ! services_up redis memcached kafka; then
  if [ "${CI:-}" = "true" ]; then
    echo "test: a server failed to start and CI=true: failing (a skipped server suite is a failure in CI)" >&2
    exit 1
  fi
  echo "test: WARNING: some servers did not start; their suites will skip loudly" >&2
fi

# The fault suite stops and restarts the shared servers, so it runs on its own, after the rest.
projects=()
for dir in packages/*/; do projects+=(--project "$(basename "$dir")"); done
projects+=(--project test-kit --project integration --project consistency --project security)
[ -n "$(ls examples/*/test/*.test.ts 2>/dev/null)" ] && projects+=(--project examples)
status=0
pnpm exec vitest run "${projects[@]}" --reporter=default --reporter=json --outputFile.json=reports/vitest.json "$@" || status=1
pnpm exec vitest run --project faults --reporter=default --reporter=json --outputFile.json=reports/vitest-faults.json "$@" || status=1
exit "$status"
