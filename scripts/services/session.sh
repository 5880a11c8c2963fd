#!/usr/bin/env bash
# Sourced by scripts that need the servers for their own run (pnpm test, pnpm bench):
#
#   source scripts/services/session.sh
#   services_up redis memcached kafka || echo "some did not start"
#
# services_up starts the named servers that are not running yet (and exports their addresses,
# as start.sh does), reuses the ones that are, and stops at exit only those it started
# (unless TIERCACHE_KEEP_SERVICES is set). Returns non-zero when one failed to start.
_tc_services_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
_tc_started=()

_tc_stop_started() {
  if [ "${#_tc_started[@]}" -gt 0 ] && [ -z "${TIERCACHE_KEEP_SERVICES:-}" ]; then
    bash "$_tc_services_dir/stop.sh" "${_tc_started[@]}" >/dev/null 2>&1 || true
  fi
}

services_up() {
  local name running
  running=$(bash "$_tc_services_dir/cli.sh" running "$@" 2>/dev/null || true)
  for name in "$@"; do
    if grep -qx "$name" <<<"$running"; then
      echo "services: $name already running, reusing it"
    else
      _tc_started+=("$name")
    fi
  done
  trap _tc_stop_started EXIT
  # shellcheck disable=SC1091
  source "$_tc_services_dir/start.sh" "$@"
}
