#!/usr/bin/env bash
# Sourced by redis.sh, memcached.sh and kafka.sh: the one liveness check they share.

# Alive and not a zombie: a server's exit may stay unreaped when its parent is not init (a
# daemonized redis, a broker started from a test that was then killed), and kill -0 still
# succeeds on a zombie, so a just-killed server would be taken for a running one.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo X)
  [ "$state" != "Z" ] && [ "$state" != "X" ]
}
