#!/usr/bin/env bash
# pnpm consumer:check: build, start Redis and Memcached (and reuse Kafka when it runs), then run
# scripts/consumer-check.mjs, which installs the packed tarballs into fresh npm projects and
# prints one table. Extra arguments go to the script (--nodes 20,22,24, --keep).
set -uo pipefail
cd "$(dirname "$0")/.."
pnpm exec turbo run build --output-logs=errors-only || exit 1
# shellcheck disable=SC1091
source scripts/services/session.sh
services_up redis memcached || { echo "consumer check: Redis or Memcached did not start" >&2; exit 1; }
if bash scripts/services/cli.sh status kafka >/dev/null 2>&1 && [ -f .services/kafka.env ]; then
  # shellcheck disable=SC1091
  source .services/kafka.env
fi
node scripts/consumer-check.mjs "$@"
