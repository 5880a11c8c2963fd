#!/usr/bin/env bash
# pnpm demo: build what the catalog example needs, then run it. With REDIS_URL set it uses
# Redis as L2 and Redis Streams for events; without, the embedded in-memory default.
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm exec turbo run build --filter=@tiercache/example-catalog... --output-logs=errors-only
node examples/catalog/dist/main.js
