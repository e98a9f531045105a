#!/usr/bin/env bash
# citus.sh — Citus for the tests: the extension, and a throwaway cluster of a coordinator and
# two workers on this machine (scripts/pg.sh clusters with `shared_preload_libraries = citus`).
#
#   scripts/citus.sh available      exit 0 when the PostgreSQL that pg.sh runs has Citus
#   scripts/citus.sh install        Citus, built from ../shared/vendor (the tests' copy of its
#                                   source) when it is not installed; cheap when it is. Exit 3
#                                   when neither is there (callers say SKIPPED)
#   scripts/citus.sh start DIR      a coordinator and two workers under DIR, started; prints
#                                   three lines: the coordinator's URL, then each worker's
#   scripts/citus.sh database DIR NAME
#                                   a Citus database NAME on the cluster in DIR (created on the
#                                   three nodes, the extension, the nodes known); prints the
#                                   coordinator's URL of it
#   scripts/citus.sh destroy DIR    stop them and delete their data
#
# A database of the cluster is Citus's only once it has the extension and knows its nodes
# (per database, in Citus 12.1): `omnireports-test-db` does that for each test database.
# omnireports itself never needs this script: users install Citus's packages.
set -euo pipefail
shopt -s inherit_errexit

cd "$(dirname "$0")/.."
readonly VENDOR=../shared/vendor/citus-12.1.12.tar.gz
readonly PG_CONFIG=${PG_CONFIG:-$(compgen -G '/usr/lib/postgresql/*/bin/pg_config' | sort -rV | head -n 1 || true)}
readonly BUILD_PACKAGES=(postgresql-server-dev-15 libcurl4-openssl-dev liblz4-dev libzstd-dev
  libkrb5-dev libselinux1-dev libxslt1-dev libpam0g-dev libreadline-dev flex bison make gcc)
readonly NODES=(coordinator worker1 worker2)

log() { printf 'citus.sh: %s\n' "$*" >&2; }
die() { printf 'citus.sh: error: %s\n' "$*" >&2; exit 1; }

available() {
  [[ -n $PG_CONFIG && -f $("$PG_CONFIG" --sharedir)/extension/citus.control ]]
}

cmd_install() {
  if available; then
    log "Citus is installed"
    return 0
  fi
  if [[ ! -f $VENDOR ]]; then
    log "Citus is not installed and there is no $VENDOR to build it from"
    exit 3
  fi
  [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null ||
    die "building Citus needs root and apt-get for: ${BUILD_PACKAGES[*]}"
  log "building Citus from $VENDOR"
  local missing=() package
  for package in "${BUILD_PACKAGES[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  if (( ${#missing[@]} )); then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
  BUILD=$(mktemp -d /tmp/omnireports-citus-build.XXXXXX)
  trap 'rm -rf "$BUILD"' EXIT
  tar -xzf "$VENDOR" -C "$BUILD" --strip-components=1
  local pg_config=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
  (cd "$BUILD" && ./configure PG_CONFIG="$pg_config" >&2 && make -j2 >&2 && make install >&2)
  available || die "Citus was built but $("$pg_config" --sharedir)/extension/citus.control is missing"
  log "Citus is installed"
}

# Each node is a pg.sh cluster in DIR/NAME, listening on its own TCP port: the nodes reach
# each other by host and port, as they would on several machines.
cmd_start() {
  local dir=$1 name url urls=()
  available || die "Citus is not installed (scripts/citus.sh install)"
  mkdir -p "$dir"
  for name in "${NODES[@]}"; do
    url=$(PG_PRELOAD_LIBRARIES=citus scripts/pg.sh start "$dir/$name")
    psql "$url" -qAt -c "SHOW shared_preload_libraries" | grep -qx citus ||
      die "$dir/$name was created without Citus; destroy it first"
    urls+=("$url")
  done
  printf '%s\n' "${urls[@]}"
}

cmd_database() {
  local dir=$1 db=$2 url urls=() port
  for name in "${NODES[@]}"; do
    url=$(scripts/pg.sh url "$dir/$name") || die "$dir/$name is not running"
    psql "$url" -qc "CREATE DATABASE $db"
    psql "${url%/postgres}/$db" -qc 'CREATE EXTENSION citus'
    urls+=("${url%/postgres}/$db")
  done
  port() { local p=${1##*:}; printf '%s' "${p%%/*}"; }
  psql "${urls[0]}" -q -c "SELECT citus_set_coordinator_host('127.0.0.1', $(port "${urls[0]}"))" \
    -c "SELECT citus_add_node('127.0.0.1', $(port "${urls[1]}"))" \
    -c "SELECT citus_add_node('127.0.0.1', $(port "${urls[2]}"))" >/dev/null
  printf '%s\n' "${urls[0]}"
}

cmd_destroy() {
  local dir=$1 name
  for name in "${NODES[@]}"; do
    scripts/pg.sh destroy "$dir/$name" || true
  done
  rmdir "$dir" 2>/dev/null || true
}

case ${1:-} in
  available) available ;;
  install) cmd_install ;;
  start) [[ -n ${2:-} ]] || die "usage: $0 start DIR"; cmd_start "$2" ;;
  database) [[ -n ${3:-} ]] || die "usage: $0 database DIR NAME"; cmd_database "$2" "$3" ;;
  destroy) [[ -n ${2:-} ]] || die "usage: $0 destroy DIR"; cmd_destroy "$2" ;;
  *) echo "usage: $0 {available|install|start DIR|database DIR NAME|destroy DIR}" >&2; exit 2 ;;
esac
