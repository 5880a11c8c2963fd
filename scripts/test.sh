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

started=()
for name in redis memcached kafka; do
  if bash scripts/services/"$name".sh status >/dev/null 2>&1; then
    echo "services: $name already running, reusing it"
  else
    started+=("$name")
  fi
done
cleanup() {
  if [ "${#started[@]}" -gt 0 ] && [ -z "${TIERCACHE_KEEP_SERVICES:-}" ]; then
    bash scripts/services/stop.sh "${started[@]}" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

# shellcheck disable=SC1091
if ! source scripts/services/start.sh redis memcached kafka; then
  if [ "${CI:-}" = "true" ]; then
    echo "test: a server failed to start and CI=true: failing (a skipped server suite is a failure in CI)" >&2
    exit 1
  fi
  echo "test: WARNING: some servers did not start; their suites will skip loudly" >&2
fi

pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=reports/vitest.json "$@"
