#!/usr/bin/env bash
# pnpm bench [--quick] [--rounds N] [--only 1,3] [--no-write]: build the workspace packages the
# bench uses, start Redis, Memcached and Kafka on 127.0.0.1 (reusing any already running), run
# every scenario in one node process, and stop only the servers this run started.
# Results: bench/results/<date>-<quick|full>.md, latest.md, latest.svg.
set -uo pipefail
cd "$(dirname "$0")/.."

pnpm exec turbo run build --filter=@tiercache/bench... --output-logs=errors-only || exit 1

# shellcheck disable=SC1091
source scripts/services/session.sh
if ! services_up redis memcached kafka; then
  echo "bench: WARNING: some servers did not start; their rows are skipped with a note" >&2
fi

# --expose-gc: the memory scenario measures the heap after a full collection.
node --expose-gc bench/dist/main.js "$@"
