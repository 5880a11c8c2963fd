#!/usr/bin/env bash
# The test kit's clusters on 127.0.0.1, for a human or a script (no Docker):
# a Redis Cluster (3 masters + 3 replicas), a Kafka KRaft cluster (3 nodes, replication 3,
# min.insync.replicas 2) and a Memcached pool (3 servers).
#
#   scripts/services/cluster.sh start  [redis-cluster|kafka-cluster|memcached-pool ...]  (default: all)
#   scripts/services/cluster.sh stop   [kind ...]
#   scripts/services/cluster.sh status [kind ...]
#   scripts/services/cluster.sh freeze|resume|kill|restart <kind> <node number, from 1>
#
# State (ports, configs, data, pids, logs) lives in .services/<kind>/; `start` writes
# .services/<kind>.env (REDIS_CLUSTER_NODES, KAFKA_CLUSTER_BROKERS, MEMCACHED_POOL_SERVERS).
# The code is internal/test-kit/src/cluster/ (the handles the scale tests use), run with tsx.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
exec "$root/internal/test-kit/node_modules/.bin/tsx" "$root/internal/test-kit/src/cluster/cli.ts" "$@"
