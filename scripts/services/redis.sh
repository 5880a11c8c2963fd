#!/usr/bin/env bash
# Start/stop a throwaway Redis on 127.0.0.1 for the test suites (no Docker needed).
#
#   scripts/services/redis.sh start|stop|restart|pid|status
#
# State lives in .services/redis/ (port, pid file, log, working dir); the address is written
# to .services/redis.env as `export REDIS_URL=redis://127.0.0.1:PORT` for `source`.
# Nothing is persisted: no RDB snapshots, no AOF.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=process.sh
source "$ROOT/scripts/services/process.sh"
STATE_DIR="$ROOT/.services/redis"
ENV_FILE="$ROOT/.services/redis.env"
PORT_FILE="$STATE_DIR/port"
PID_FILE="$STATE_DIR/redis.pid"
LOG_FILE="$STATE_DIR/redis.log"
START_WAIT_S=15
STOP_WAIT_S=15

started_ns=$(date +%s%N)
elapsed() { printf '%d.%03ds' $((($(date +%s%N) - started_ns) / 1000000000)) $(((($(date +%s%N) - started_ns) / 1000000) % 1000)); }
say() { echo "redis: $* ($(elapsed))"; }
die() {
  echo "redis: $*" >&2
  exit 1
}

ensure_installed() {
  if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then return; fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  if ! "${sudo[@]}" apt-get install -y redis-server >/dev/null 2>&1; then
    "${sudo[@]}" apt-get update >/dev/null
    "${sudo[@]}" apt-get install -y redis-server >/dev/null || die "could not install redis-server with apt-get; install it and retry"
  fi
  # Debian starts a system-wide instance on 6379 after install; ours does not use it.
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
  grep -q redis "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

answers() {
  [ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$1" PING 2>/dev/null)" = "PONG" ]
}

write_env() {
  mkdir -p "$(dirname "$ENV_FILE")"
  printf 'export REDIS_URL=redis://127.0.0.1:%s\n' "$1" >"$ENV_FILE"
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
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
    --protected-mode yes --dir "$STATE_DIR" --pidfile "$PID_FILE" --logfile "$LOG_FILE" \
    || die "redis-server failed to start; see $LOG_FILE"
  local deadline=$((SECONDS + START_WAIT_S))
  until answers "$port"; do
    if [ $SECONDS -ge $deadline ]; then
      tail -n 20 "$LOG_FILE" >&2 || true
      die "redis-server did not answer PING on 127.0.0.1:$port within ${START_WAIT_S}s; see $LOG_FILE"
    fi
    sleep 0.1
  done
  write_env "$port"
  say "started pid $(cat "$PID_FILE") on 127.0.0.1:$port; wrote $ENV_FILE"
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
    if answers "$port"; then echo "redis: running, pid $pid on 127.0.0.1:$port"; else echo "redis: pid $pid alive on 127.0.0.1:$port but not answering PING (stopped?)"; fi
  else
    echo "redis: not running"
    exit 3
  fi
  ;;
*)
  echo "usage: $0 start|stop|restart|pid|status" >&2
  exit 2
  ;;
esac
