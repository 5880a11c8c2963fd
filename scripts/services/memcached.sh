#!/usr/bin/env bash
# Start/stop a throwaway memcached on 127.0.0.1 for the test suites (no Docker needed).
#
#   scripts/services/memcached.sh start|stop|restart|pid|status
#
# State lives in .services/memcached/ (port, pid file, log); the address is written to
# .services/memcached.env as `export MEMCACHED_SERVERS=127.0.0.1:PORT` for `source`.
# The server keeps everything in memory (-m 128 MB), has UDP off (-U 0) and an explicit item
# size limit (-I 1m, memcached's default) that @tiercache/l2-memcached's maxValueBytes matches.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=process.sh
source "$ROOT/scripts/services/process.sh"
STATE_DIR="$ROOT/.services/memcached"
ENV_FILE="$ROOT/.services/memcached.env"
PORT_FILE="$STATE_DIR/port"
PID_FILE="$STATE_DIR/memcached.pid"
LOG_FILE="$STATE_DIR/memcached.log"
MEMORY_MB=128
ITEM_SIZE_LIMIT=1m
START_WAIT_S=15
STOP_WAIT_S=15

started_ns=$(date +%s%N)
elapsed() { printf '%d.%03ds' $((($(date +%s%N) - started_ns) / 1000000000)) $(((($(date +%s%N) - started_ns) / 1000000) % 1000)); }
say() { echo "memcached: $* ($(elapsed))"; }
die() {
  echo "memcached: $*" >&2
  exit 1
}

ensure_installed() {
  if command -v memcached >/dev/null; then return; fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  if ! "${sudo[@]}" apt-get install -y memcached >/dev/null 2>&1; then
    "${sudo[@]}" apt-get update >/dev/null
    "${sudo[@]}" apt-get install -y memcached >/dev/null || die "could not install memcached with apt-get; install it and retry"
  fi
  # Debian may start a system-wide instance on 11211 after install; ours does not use it.
}

# A port nothing listens on, chosen by the kernel.
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The pid of our server if it is alive, else nothing.
running_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid=$(cat "$PID_FILE" 2>/dev/null || true)
  [ -n "$pid" ] && alive "$pid" || return 1
  # Guard against a recycled pid belonging to something else.
  grep -q memcached "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

# True when the server answers the text protocol's `version` command within 2 s. A SIGSTOPped
# server accepts the TCP connection (the kernel does that) but never answers, so this is false.
answers() {
  local reply
  reply=$(
    timeout 2 bash -c '
      exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
      printf "version\r\n" >&3
      IFS= read -r line <&3 && printf "%s" "$line"
    ' _ "$1" 2>/dev/null
  ) || return 1
  [[ "$reply" == VERSION* ]]
}

write_env() {
  mkdir -p "$(dirname "$ENV_FILE")"
  printf 'export MEMCACHED_SERVERS=127.0.0.1:%s\n' "$1" >"$ENV_FILE"
}

do_start() {
  local pid port
  if pid=$(running_pid); then
    port=$(cat "$PORT_FILE")
    write_env "$port"
    say "already running, pid $pid on 127.0.0.1:$port; rewrote $ENV_FILE"
    return
  fi
  ensure_installed
  mkdir -p "$STATE_DIR"
  if [ -f "$PORT_FILE" ]; then
    port=$(cat "$PORT_FILE")
    if port_in_use "$port"; then
      [ "${1:-}" = "same-port" ] && die "port $port (kept in $PORT_FILE) is taken by another process; free it or delete $PORT_FILE"
      port=$(free_port)
    fi
  else
    port=$(free_port)
  fi
  echo "$port" >"$PORT_FILE"
  rm -f "$PID_FILE"
  # memcached refuses to run as root without -u; as any other user -u is not needed.
  local user_args=()
  if [ "$(id -u)" -eq 0 ]; then user_args=(-u root); fi
  # -d daemonizes, so the server outlives this shell; errors before the fork land in the log.
  memcached -d -l 127.0.0.1 -p "$port" -U 0 -m "$MEMORY_MB" -I "$ITEM_SIZE_LIMIT" "${user_args[@]}" \
    -P "$PID_FILE" >>"$LOG_FILE" 2>&1 || die "memcached failed to start; see $LOG_FILE"
  local deadline=$((SECONDS + START_WAIT_S))
  until answers "$port"; do
    if [ $SECONDS -ge $deadline ]; then
      tail -n 20 "$LOG_FILE" >&2 || true
      die "memcached did not answer 'version' on 127.0.0.1:$port within ${START_WAIT_S}s; see $LOG_FILE"
    fi
    sleep 0.1
  done
  # The pid file is written by the daemon itself, possibly just after it starts listening.
  until running_pid >/dev/null; do
    [ $SECONDS -ge $deadline ] && die "memcached answers on 127.0.0.1:$port but wrote no pid to $PID_FILE"
    sleep 0.05
  done
  write_env "$port"
  say "started pid $(cat "$PID_FILE") on 127.0.0.1:$port (item size limit $ITEM_SIZE_LIMIT, ${MEMORY_MB} MB); wrote $ENV_FILE"
}

do_stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$PID_FILE"
    say "not running; nothing to stop"
    return
  fi
  # A fault test may have left it SIGSTOPped; a stopped process never handles SIGTERM.
  kill -CONT "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_WAIT_S))
  while alive "$pid"; do
    if [ $SECONDS -ge $deadline ]; then
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
      break
    fi
    sleep 0.05
  done
  alive "$pid" && die "pid $pid did not exit after SIGTERM and SIGKILL"
  rm -f "$PID_FILE"
  say "stopped pid $pid"
}

case "${1:-}" in
start) do_start ;;
stop) do_stop ;;
restart)
  do_stop
  started_ns=$(date +%s%N)
  do_start same-port
  ;;
pid)
  running_pid || die "not running"
  ;;
status)
  if pid=$(running_pid); then
    port=$(cat "$PORT_FILE")
    if answers "$port"; then echo "memcached: running, pid $pid on 127.0.0.1:$port"; else echo "memcached: pid $pid alive on 127.0.0.1:$port but not answering 'version' (stopped?)"; fi
  else
    echo "memcached: not running"
    exit 3
  fi
  ;;
*)
  echo "usage: $0 start|stop|restart|pid|status" >&2
  exit 2
  ;;
esac
