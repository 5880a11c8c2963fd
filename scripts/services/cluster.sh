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
# State (ports, configs, data, pids, logs) lives in .services/<kind>/node-<n>/; `start` writes
# .services/<kind>.env (REDIS_CLUSTER_NODES, KAFKA_CLUSTER_BROKERS, MEMCACHED_POOL_SERVERS).
# It is the services CLI (cli.sh, internal/test-kit/src/cli.ts) given group names; the groups
# are internal/test-kit/src/cluster/ (the handles the scale tests use).
set -euo pipefail
command="${1:-}"
shift || true
case "$command" in
  start | stop | status) [ $# -gt 0 ] || set -- redis-cluster kafka-cluster memcached-pool ;;
esac
exec bash "$(dirname "${BASH_SOURCE[0]}")/cli.sh" "$command" "$@"
