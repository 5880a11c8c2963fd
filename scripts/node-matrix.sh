#!/usr/bin/env bash
# The Node matrix: run the unit and conformance vitest projects that need no server or only a
# cheap one (Redis, Memcached) on Node 22 and Node 24, from the `node` package on npm (cached
# under ~/.cache/tiercache-node/<major>). Node 20 runs everything in `pnpm test`. Kafka's
# suites stay on Node 20: a broker costs more than they would tell us here.
#
#   bash scripts/node-matrix.sh [majors...]     (default: 22 24)
set -uo pipefail
cd "$(dirname "$0")/.."
majors=("$@")
[ "${#majors[@]}" -eq 0 ] && majors=(22 24)
cache="${HOME}/.cache/tiercache-node"

# shellcheck disable=SC1091
source scripts/services/session.sh
services_up redis memcached || { echo "node matrix: Redis or Memcached did not start" >&2; exit 1; }

projects=(core l1-lru conformance otel keyv l2-redis stream-redis l2-memcached)
args=()
for p in "${projects[@]}"; do args+=(--project "$p"); done
status=0
for major in "${majors[@]}"; do
  bin="$cache/$major/node_modules/.bin/node"
  if [ ! -x "$bin" ]; then
    mkdir -p "$cache/$major"
    (cd "$cache/$major" && npm install --no-audit --no-fund --loglevel=error "node@$major" >/dev/null) ||
      { echo "node matrix: could not install node@$major from npm" >&2; status=1; continue; }
  fi
  echo "=== node matrix: $("$bin" --version): ${projects[*]}"
  if ! "$bin" node_modules/vitest/vitest.mjs run "${args[@]}" --reporter=dot; then
    echo "node matrix: FAILED on Node $major" >&2
    status=1
  fi
done
exit "$status"
