#!/usr/bin/env bash
# Stop the test servers started by start.sh (all of them, or the ones named).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(kafka memcached redis)
for name in "${names[@]}"; do
  [ -f "$root/scripts/services/$name.sh" ] && bash "$root/scripts/services/$name.sh" stop || true
done
