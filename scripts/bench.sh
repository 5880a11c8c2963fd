#!/usr/bin/env bash
# pnpm bench [--quick] [--rounds N] [--only 1,3] [--no-write]: build the workspace packages the
# bench uses, start Redis, Memcached and Kafka on 127.0.0.1 (reusing any already running), run
# every scenario in one node process, and stop only the servers this run started.
# Results: bench/results/<date>-<quick|full>.md, latest.md, latest.svg.
set -uo pipefail
cd "$(dirname "$0")/.."

pnpm exec turbo run build --filter=@tiercache/bench... --output-logs=errors-only || exit 1

started=()
for name in redis memcached kafka; do
  if bash scripts/services/"$name".sh status >/dev/null 2>&1; then
    echo "services: $name already running, reusing it"
  else
    started+=("$name")
  fi
done
cleanup() {
  if [ "${#started[@]}" -gt 0 ]; then
    bash scripts/services/stop.sh "${started[@]}" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

# shellcheck disable=SC1091
if ! source scripts/services/start.sh redis memcached kafka; then
  echo "bench: WARNING: some servers did not start; their rows are skipped with a note" >&2
fi

# --expose-gc: the memory scenario measures the heap after a full collection.
node --expose-gc bench/dist/main.js "$@"
