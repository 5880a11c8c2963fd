#!/usr/bin/env bash
# Start the test servers on 127.0.0.1 (no Docker) and export their addresses.
#
#   source scripts/services/start.sh              # redis, memcached and kafka
#   source scripts/services/start.sh redis        # only the ones named
#
# install.sh installs what is missing; the test kit's CLI (cli.sh) starts each server (or
# reuses the running one), waits until a real client gets an answer, and writes
# .services/<name>.env (REDIS_URL, MEMCACHED_SERVERS, KAFKA_BROKERS); this file sources those.
# Returns non-zero when one did not start.
_tc_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
_tc_names=("$@")
[ ${#_tc_names[@]} -eq 0 ] && _tc_names=(redis memcached kafka)
_tc_failed=0
bash "$_tc_root/scripts/services/install.sh" "${_tc_names[@]}" || _tc_failed=1
bash "$_tc_root/scripts/services/cli.sh" start "${_tc_names[@]}" || _tc_failed=1
for _tc_name in "${_tc_names[@]}"; do
  _tc_env="${TIERCACHE_SERVICES_DIR:-$_tc_root/.services}/$_tc_name.env"
  # shellcheck disable=SC1090
  [ -f "$_tc_env" ] && source "$_tc_env"
done
unset _tc_name _tc_names _tc_root _tc_env
if [ "$_tc_failed" -ne 0 ]; then unset _tc_failed; return 1 2>/dev/null || exit 1; fi
unset _tc_failed
