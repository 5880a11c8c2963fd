#!/usr/bin/env bash
# Start the test servers on 127.0.0.1 (no Docker) and export their addresses.
#
#   source scripts/services/start.sh              # redis, memcached and kafka
#   source scripts/services/start.sh redis        # only the ones named
#
# Each server's script (redis.sh, memcached.sh, kafka.sh) installs what is missing, starts the
# server, waits until it answers, and writes .services/<name>.env; this file sources those.
_tc_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
_tc_names=("$@")
[ ${#_tc_names[@]} -eq 0 ] && _tc_names=(redis memcached kafka)
_tc_failed=0
for _tc_name in "${_tc_names[@]}"; do
  # One retry: a first start on a fresh machine also installs and downloads, and a port picked
  # as free can be taken before the server binds it. A second failure is reported.
  if ! bash "$_tc_root/scripts/services/$_tc_name.sh" start; then
    echo "services: $_tc_name failed to start; stopping it and trying once more" >&2
    bash "$_tc_root/scripts/services/$_tc_name.sh" stop >/dev/null 2>&1 || true
    if ! bash "$_tc_root/scripts/services/$_tc_name.sh" start; then
      echo "services: $_tc_name failed to start (see .services/$_tc_name/*.log)" >&2
      _tc_failed=1
      continue
    fi
  fi
  # shellcheck disable=SC1090
  source "$_tc_root/.services/$_tc_name.env"
done
unset _tc_name _tc_names _tc_root
if [ "$_tc_failed" -ne 0 ]; then unset _tc_failed; return 1 2>/dev/null || exit 1; fi
unset _tc_failed
