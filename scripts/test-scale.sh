#!/usr/bin/env bash
# pnpm test:scale: start the test kit's clusters on 127.0.0.1 (a Redis Cluster of 3 masters +
# 3 replicas, a 3-node Kafka KRaft cluster, a Memcached pool of 3), run the `scale` vitest
# project (the Redis conformance and cross-instance suites again on the cluster, and the
# failover tests), write reports/vitest-scale.json and reports/scale-figures.json, and stop
# the clusters this run started (unless TIERCACHE_KEEP_SERVICES is set). Extra arguments go to
# vitest. Under CI=true a cluster that fails to start is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p reports
rm -f reports/scale-figures.json reports/vitest-scale.json

started=()
for kind in redis-cluster kafka-cluster memcached-pool; do
  if ! bash scripts/services/cluster.sh status "$kind" >/dev/null 2>&1; then started+=("$kind"); fi
done
stop_started() {
  if [ "${#started[@]}" -gt 0 ] && [ -z "${TIERCACHE_KEEP_SERVICES:-}" ]; then
    bash scripts/services/cluster.sh stop "${started[@]}" || true
  fi
}
trap stop_started EXIT

# A node keeps the ports it was first given (Kafka's quorum config names them), so a port that
# another process took between the pick and the start fails the group. CI met this once: try
# once more with the groups this run started stopped and their state (ports included) dropped.
start_clusters() {
  bash scripts/services/cluster.sh start && return 0
  [ "${#started[@]}" -gt 0 ] || return 1
  echo "test:scale: a cluster failed to start; retrying once with fresh state for: ${started[*]}" >&2
  bash scripts/services/cluster.sh stop "${started[@]}" || true
  for kind in "${started[@]}"; do rm -rf "${TIERCACHE_SERVICES_DIR:-.services}/$kind"; done
  bash scripts/services/cluster.sh start
}

if ! start_clusters; then
  if [ "${CI:-}" = "true" ]; then
    echo "test:scale: a cluster failed to start and CI=true: failing" >&2
    exit 1
  fi
  echo "test:scale: WARNING: a cluster did not start; its suites will skip loudly" >&2
fi

pnpm exec vitest run --project scale --reporter=default --reporter=json --outputFile.json=reports/vitest-scale.json "$@"
