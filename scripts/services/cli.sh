#!/usr/bin/env bash
# The test kit's server command line (internal/test-kit/src/cli.ts, run from source with tsx):
#
#   bash scripts/services/cli.sh start|stop|restart|status|running|pid|compose [redis memcached kafka]
#
# start.sh, stop.sh and session.sh call it; run it directly to restart, freeze-check (status) or
# find the pid of one server. Servers keep their state in .services/ (TIERCACHE_SERVICES_DIR).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tsx="$root/internal/test-kit/node_modules/.bin/tsx"
if [ ! -x "$tsx" ]; then
  echo "services: $tsx is missing; run 'pnpm install' first" >&2
  exit 1
fi
exec "$tsx" "$root/internal/test-kit/src/cli.ts" "$@"
