#!/usr/bin/env bash
# Install what the named test servers need, when it is missing (the lifecycle is the test kit's:
# see cli.sh):
#
#   bash scripts/services/install.sh [redis] [memcached] [kafka]     (default: all three)
#
# redis and memcached: Debian's packages (apt-get, with sudo when not root). kafka: a Java 17
# runtime (apt-get) and the broker's jars from Maven Central into scripts/services/kafka/libs/,
# fetched again only when kafka/pom.xml changes. Debian may start system-wide instances on the
# default ports after installing; the suites' servers run on their own ports.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
state="${TIERCACHE_SERVICES_DIR:-$root/.services}"
log="$state/install.log"
mkdir -p "$state"

# Install a Debian package when its command is missing; refresh the package index only if needed.
ensure_command() {
  local cmd=$1 package=$2
  command -v "$cmd" >/dev/null && return 0
  if ! command -v apt-get >/dev/null; then
    echo "services: $cmd is missing and apt-get is not available; install $package and retry" >&2
    return 1
  fi
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$package" >>"$log" 2>&1; then
    "${sudo[@]}" apt-get update >>"$log" 2>&1 || true
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$package" >>"$log" 2>&1; then
      echo "services: installing $package with apt-get failed; see $log" >&2
      return 1
    fi
  fi
}

fetch_kafka_jars() {
  local project="$here/kafka" libs="$here/kafka/libs" want
  # The marker names the pom's checksum so an edited pom (another Kafka version) refetches.
  want=$(sha256sum "$project/pom.xml" | cut -d' ' -f1)
  [ -f "$libs/.fetched" ] && [ "$(<"$libs/.fetched")" = "$want" ] && return 0
  ensure_command mvn maven || return 1
  rm -rf "$libs"
  mkdir -p "$libs"
  if ! mvn -q -f "$project/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs" >"$state/maven.log" 2>&1; then
    echo "services: fetching the Kafka jars from Maven Central failed; see $state/maven.log" >&2
    return 1
  fi
  echo "$want" >"$libs/.fetched"
}

names=("$@")
[ ${#names[@]} -eq 0 ] && names=(redis memcached kafka)
status=0
for name in "${names[@]}"; do
  case "$name" in
  redis) ensure_command redis-server redis-server || status=1 ;;
  memcached) ensure_command memcached memcached || status=1 ;;
  kafka) { ensure_command java openjdk-17-jre-headless && fetch_kafka_jars; } || status=1 ;;
  *)
    echo "services: unknown server '$name' (redis, memcached, kafka)" >&2
    status=2
    ;;
  esac
done
exit "$status"
