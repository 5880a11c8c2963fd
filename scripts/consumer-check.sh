#!/usr/bin/env bash
# pnpm consumer:check: build, start Redis, Memcached and Kafka (or reuse the running ones), then
# run scripts/consumer-check.mjs, which installs the packed tarballs into fresh npm projects and
# prints one table. Extra arguments go to the script (--nodes 20.19.0,20,22.12.0,22,24, --keep). Without Kafka
# (no Java, no network) its rows say "not run" and, under CI=true, fail.
set -uo pipefail
cd "$(dirname "$0")/.."
pnpm exec turbo run build --output-logs=errors-only || exit 1
# shellcheck disable=SC1091
source scripts/services/session.sh
services_up redis memcached || { echo "consumer check: Redis or Memcached did not start" >&2; exit 1; }
# Kafka apart: the Kafka setup and doc blocks need it, the rest of the table does not.
services_up kafka || echo "consumer check: Kafka did not start; its rows will say so" >&2
node scripts/consumer-check.mjs "$@"
