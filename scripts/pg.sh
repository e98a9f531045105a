#!/usr/bin/env bash
# pg.sh — a private, throwaway PostgreSQL cluster for `make run` / `make test`.
#
#   scripts/pg.sh start   DIR   ensure the cluster for DIR exists and runs;
#                               the last (only) stdout line is its URL
#   scripts/pg.sh stop    DIR   fast shutdown (succeeds if not running/absent)
#   scripts/pg.sh url     DIR   print the URL if running, else exit 1
#   scripts/pg.sh destroy DIR   stop it and delete its data
#   scripts/pg.sh replica DIR PRIMARY_URL
#                               a streaming replica of the cluster at PRIMARY_URL
#                               (pg_basebackup -R) in DIR, started; prints its URL.
#                               Afterwards start/stop/url/destroy DIR work on it.
#
# The URL is postgres://omnireports@127.0.0.1:PORT/postgres: superuser role
# `omnireports`, trust auth, listening on 127.0.0.1 only, on the first free
# port from 54329 up (remembered and reused across restarts while free).
# With PG_SOCKET_ONLY=1, `start` listens on no TCP port at all, only on the Unix
# socket in the cluster's own directory, so nothing else can take its address
# while it is stopped; the URL is then
# postgres://omnireports@/postgres?host=SOCKETDIR&port=PORT (the port only names
# the socket file). `url` and an `already running` start print the URL of the
# mode the server was started in.
# Durability is switched off (fsync, full_page_writes, ...): the data is
# disposable. PG_SHARED_BUFFERS (default 128MB, PostgreSQL's own default) sets
# shared_buffers when a cluster is created; PG_PRELOAD_LIBRARIES (default none) its
# shared_preload_libraries (scripts/citus.sh: citus). Progress and errors go to stderr.
#
# Why the root/postgres dance:
#   PostgreSQL refuses to run as root (initdb, pg_ctl and postgres all check),
#   but CI runs as root. So when this script runs as root, every server-side
#   command is run as the `postgres` system user via `runuser -u postgres --`
#   (the user is created with `useradd --system` if missing), and the data
#   directory must be owned by, and reachable for, that user. A checkout under
#   /root (mode 0700) is not traversable by `postgres`, so as root the cluster
#   ALWAYS lives in a `mktemp -d /tmp/omnireports-pg.XXXXXX` directory owned by
#   postgres; its path is remembered in DIR/location (DIR itself stays owned by
#   root) and reused while it exists. After a reboot that clears /tmp a fresh
#   cluster is created on the next `start`.
#   As a normal user the cluster simply lives in DIR: DIR/data (data
#   directory), DIR/port, DIR/postgres.log, the Unix socket in DIR, and
#   DIR/socket-only while it was started with PG_SOCKET_ONLY=1.

set -euo pipefail
shopt -s inherit_errexit

readonly PROG=${0##*/}
readonly DB_ROLE=omnireports                 # superuser role inside the cluster
readonly SYS_USER=postgres                   # OS account that runs the server as root
readonly BASE_PORT=54329
readonly PORT_SPAN=500
readonly TMP_PREFIX=/tmp/omnireports-pg.
readonly SOCKET_NAME=/.s.PGSQL.65535         # longest socket file name PostgreSQL uses
readonly MARKER=.omnireports-pg              # marks a temp cluster dir as ours
readonly CONF_MARKER='# --- omnireports throwaway settings (scripts/pg.sh) ---'
readonly MISSING_MSG='PostgreSQL server binaries (initdb, pg_ctl, postgres, pg_isready) not found: install the `postgresql` package (e.g. `sudo apt-get install postgresql`) or set DATABASE_URL to an existing server.'

INITDB='' PG_CTL='' POSTGRES='' PG_ISREADY=''

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() {
  cat >&2 <<EOF
usage: $PROG {start|stop|url|destroy} DIR | $PROG replica DIR PRIMARY_URL
  start   DIR  create (if needed) and start the cluster for DIR; prints its URL
               (PG_SOCKET_ONLY=1: on its Unix socket only, no TCP port)
  replica DIR PRIMARY_URL
               a streaming replica of PRIMARY_URL in DIR (created if needed), started
  stop    DIR  stop it (fast mode); succeeds if not running or absent
  url     DIR  print the URL if running, else exit 1
  destroy DIR  stop it and delete its data
EOF
  exit 2
}

is_root() { [[ $EUID -eq 0 ]]; }

# Run a command as the account owning the cluster, from a directory it can read.
as_owner() {
  if is_root; then
    (cd / && runuser -u "$SYS_USER" -- "$@")
  else
    (cd / && "$@")
  fi
}

abs_path() {
  local p=${1%/}
  [[ -n $p ]] || p=/
  case $p in
    /*) printf '%s\n' "$p" ;;
    *) printf '%s/%s\n' "$PWD" "$p" ;;
  esac
}

# ---------------------------------------------------------------- binaries --

# Path of one PostgreSQL program: PATH first, then the newest /usr/lib/postgresql/*/bin.
find_bin() {
  local name=$1 dir
  if type -P "$name" 2>/dev/null; then return 0; fi
  while IFS= read -r dir; do
    if [[ -x $dir/$name ]]; then printf '%s\n' "$dir/$name"; return 0; fi
  done < <(compgen -G '/usr/lib/postgresql/*/bin' | sort -rV)
  return 1
}

resolve_bins() {
  INITDB=$(find_bin initdb) && PG_CTL=$(find_bin pg_ctl) &&
    POSTGRES=$(find_bin postgres) && PG_ISREADY=$(find_bin pg_isready)
}

install_postgresql() {
  log "PostgreSQL not found; installing the postgresql package with apt-get"
  apt-get update -qq >&2 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 ||
    die "apt-get install postgresql failed"
}

ensure_bins() {
  resolve_bins && return 0
  if is_root && command -v apt-get >/dev/null 2>&1; then
    install_postgresql
    resolve_bins && return 0
  fi
  die "$MISSING_MSG"
}

ensure_sys_user() {
  getent passwd "$SYS_USER" >/dev/null && return 0
  command -v useradd >/dev/null 2>&1 || die "user '$SYS_USER' is missing and useradd is not available"
  local group_opt=(--user-group)
  getent group "$SYS_USER" >/dev/null && group_opt=(--gid "$SYS_USER")
  log "creating system user '$SYS_USER'"
  useradd --system "${group_opt[@]}" --home-dir /var/lib/postgresql \
    --no-create-home --shell /usr/sbin/nologin "$SYS_USER"
}

ensure_runuser() {
  command -v runuser >/dev/null 2>&1 || die "running as root needs 'runuser' (util-linux) to start PostgreSQL as '$SYS_USER'"
}

# ---------------------------------------------------------- cluster layout --

# Serialise start/stop/destroy on the same DIR (the lock fd is closed for the server).
lock_dir() {
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>>"$1/.lock"
  flock -w 300 9 || die "timed out waiting for the lock $1/.lock"
}

valid_tmp_root() { [[ $1 == "$TMP_PREFIX"* && -d $1 && -f $1/$MARKER ]]; }

# Print the existing cluster root for DIR (holds data/, port, postgres.log).
find_cluster_root() {
  local dir=$1 loc
  if ! is_root; then
    [[ -d $dir ]] || return 1
    printf '%s\n' "$dir"
    return 0
  fi
  [[ -f $dir/location ]] || return 1
  loc=$(<"$dir/location")
  valid_tmp_root "$loc" || return 1
  printf '%s\n' "$loc"
}

# As root: a fresh postgres-owned temp dir, remembered in DIR/location.
new_tmp_root() {
  local dir=$1 root
  root=$(mktemp -d "${TMP_PREFIX}XXXXXX") || die "mktemp -d ${TMP_PREFIX}XXXXXX failed"
  touch "$root/$MARKER"
  chown -R "$SYS_USER:" "$root"
  chmod 700 "$root"
  printf '%s\n' "$root" >"$dir/location"
  log "running as root: the cluster for $dir lives in $root (owned by $SYS_USER)"
  printf '%s\n' "$root"
}

# Print the cluster root for DIR, creating it if needed (DIR must exist).
make_cluster_root() {
  local dir=$1
  if ! is_root; then
    [[ -w $dir ]] || die "$dir is not writable"
    printf '%s\n' "$dir"
  elif ! find_cluster_root "$dir"; then
    new_tmp_root "$dir"
  fi
}

# ------------------------------------------------------------------ initdb --

is_initialised() { grep -qxF -- "$CONF_MARKER" "$1/data/postgresql.conf" 2>/dev/null; }

# Unix socket directory: the cluster root, unless its path is too long for sun_path.
socket_dir() {
  local root=$1
  if (( ${#root} + ${#SOCKET_NAME} > 107 )); then
    printf ''
  else
    printf '%s' "${root//\'/\'\'}"
  fi
}

write_conf() {
  local root=$1 sock
  sock=$(socket_dir "$root")
  [[ -n $sock ]] || log "path $root is too long for a Unix socket; TCP only"
  cat >>"$root/data/postgresql.conf" <<EOF

$CONF_MARKER
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = ${PG_SHARED_BUFFERS:-128MB}
shared_preload_libraries = '${PG_PRELOAD_LIBRARIES:-}'
EOF
}

init_cluster() {
  local root=$1
  is_initialised "$root" && return 0
  rm -rf "$root/data"   # leftover of an interrupted initdb, if any
  log "initialising a new cluster in $root/data"
  as_owner "$INITDB" -D "$root/data" -U "$DB_ROLE" --auth=trust -E UTF8 \
    --no-locale -N >&2 || die "initdb failed"
  write_conf "$root"
}

# ------------------------------------------------------------ run / status --

# True if a postmaster really runs for DATA (guards against a reused stale PID).
cluster_running() {
  local data=$1 pid comm
  [[ -f $data/PG_VERSION ]] || return 1
  as_owner "$PG_CTL" status -D "$data" >/dev/null 2>&1 || return 1
  pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null) || return 1
  if [[ -r /proc/$pid/comm ]]; then
    comm=$(<"/proc/$pid/comm")
    [[ $comm == postgres || $comm == postmaster ]] || return 1
  fi
  return 0
}

remove_stale_pid() {
  local pidfile=$1/postmaster.pid
  [[ -e $pidfile ]] || return 0
  log "removing stale $pidfile"
  rm -f "$pidfile"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# First port >= $1 that nothing listens on at 127.0.0.1.
free_port() {
  local p=$1 last=$(( $1 + PORT_SPAN ))
  (( last <= 65536 )) || last=65536
  for (( ; p < last; p++ )); do
    port_in_use "$p" || { printf '%s\n' "$p"; return 0; }
  done
  die "no free TCP port on 127.0.0.1 in $1..$(( last - 1 ))"
}

read_port() { [[ -r $1/port ]] && tr -dc '0-9' <"$1/port"; }

socket_only() { [[ ${PG_SOCKET_ONLY:-0} == 1 ]]; }

# The address a started server listens on: the socket directory or 127.0.0.1.
listen_host() {
  if [[ -f $1/socket-only ]]; then printf '%s\n' "$1"; else printf '127.0.0.1\n'; fi
}

wait_ready() {
  local root=$1 port=$2 host i
  host=$(listen_host "$root")
  for (( i = 0; i < 120; i++ )); do
    "$PG_ISREADY" -q -h "$host" -p "$port" -U "$DB_ROLE" -d postgres && return 0
    sleep 0.5
  done
  return 1
}

show_log_tail() {
  log "PostgreSQL failed to start; last 30 lines of $1:"
  tail -n 30 "$1" >&2 2>/dev/null || true
  exit 1
}

# as_owner, minus every fd above 2 (our lock, callers' pipes): the server
# daemon inherits them otherwise, and e.g. `$(...)` or CI log pipes would hang.
run_detached() {
  (
    local fd
    for fd in /proc/"$BASHPID"/fd/*; do
      fd=${fd##*/}
      if [[ $fd =~ ^[0-9]+$ ]] && (( fd > 2 )); then eval "exec $fd>&-"; fi
    done
    exec 9>&-
    as_owner "$@"
  )
}

# One pg_ctl start attempt on PORT; returns 2 if the port turned out to be taken.
try_start() {
  local root=$1 port=$2 logf=$1/postgres.log before opts
  before=0
  [[ -r $logf ]] && before=$(wc -l <"$logf")
  printf '%s\n' "$port" >"$root/port"
  opts="-p $port"
  if socket_only; then
    # pg_ctl hands -o to a shell: '' is the empty value, i.e. no TCP address.
    opts+=" -c listen_addresses=''"
    touch "$root/socket-only"
    log "starting PostgreSQL on the Unix socket $root/.s.PGSQL.$port only (log: $logf)"
  else
    rm -f "$root/socket-only"
    log "starting PostgreSQL on 127.0.0.1:$port (log: $logf)"
  fi
  if run_detached "$PG_CTL" start -w -t 60 -D "$root/data" -l "$logf" -o "$opts" >&2; then
    return 0
  fi
  tail -n "+$(( before + 1 ))" "$logf" 2>/dev/null |
    grep -qE 'could not bind|Address already in use|could not create any TCP/IP sockets' && return 2
  return 1
}

start_server() {
  local root=$1 port attempt rc
  port=$(read_port "$root") || port=''
  if socket_only && [[ -z $(socket_dir "$root") ]]; then
    die "PG_SOCKET_ONLY=1: the path $root is too long for a Unix socket"
  fi
  for attempt in 1 2 3 4 5; do
    # The socket file lives in the cluster's own directory: its port cannot be taken.
    socket_only || port=$(free_port "${port:-$BASE_PORT}")
    port=${port:-$BASE_PORT}
    rc=0
    try_start "$root" "$port" || rc=$?
    case $rc in
      0) wait_ready "$root" "$port" && return 0
         log "server started but pg_isready -h $(listen_host "$root") -p $port never succeeded"
         show_log_tail "$root/postgres.log" ;;
      2) log "port $port was taken meanwhile (attempt $attempt); trying another"
         port=$(( port + 1 )) ;;
      *) show_log_tail "$root/postgres.log" ;;
    esac
  done
  show_log_tail "$root/postgres.log"
}

stop_server() {
  local data=$1/data
  if ! cluster_running "$data"; then
    log "not running"
    return 0
  fi
  log "stopping PostgreSQL ($data)"
  as_owner "$PG_CTL" stop -D "$data" -m fast -w -t 60 >&2 && return 0
  log "fast shutdown failed; trying immediate"
  as_owner "$PG_CTL" stop -D "$data" -m immediate -w -t 30 >&2 || die "could not stop PostgreSQL in $data"
}

# Percent-encodes a URL query value (libpq decodes it), byte by byte.
url_encode() {
  local LC_ALL=C s=$1 out='' c i
  for (( i = 0; i < ${#s}; i++ )); do
    c=${s:i:1}
    case $c in
      [A-Za-z0-9/._~-]) out+=$c ;;
      *) printf -v c '%%%02X' "'$c"; out+=$c ;;
    esac
  done
  printf '%s' "$out"
}

print_url() {
  local root=$1 port
  port=$(read_port "$root") && [[ -n $port ]] || die "no port recorded in $root/port"
  if [[ -f $root/socket-only ]]; then
    printf 'postgres://%s@/postgres?host=%s&port=%s\n' "$DB_ROLE" "$(url_encode "$root")" "$port"
  else
    printf 'postgres://%s@127.0.0.1:%s/postgres\n' "$DB_ROLE" "$port"
  fi
}

# ---------------------------------------------------------------- commands --

cmd_start() {
  local dir=$1 root
  ensure_bins
  if is_root; then ensure_runuser; ensure_sys_user; fi
  mkdir -p "$dir"
  lock_dir "$dir"
  root=$(make_cluster_root "$dir")
  init_cluster "$root"
  if cluster_running "$root/data"; then
    log "already running"
  else
    remove_stale_pid "$root/data"
    start_server "$root"
  fi
  print_url "$root"
}

# A physical copy of the primary that follows it (standby.signal and primary_conninfo from
# `pg_basebackup -R`). The copied configuration names the primary's socket directory: the
# replica's own is appended, and wins.
cmd_replica() {
  local dir=$1 primary=$2 root basebackup sock
  ensure_bins
  basebackup=$(find_bin pg_basebackup) || die "$MISSING_MSG"
  if is_root; then ensure_runuser; ensure_sys_user; fi
  mkdir -p "$dir"
  lock_dir "$dir"
  root=$(make_cluster_root "$dir")
  if [[ ! -f $root/data/standby.signal ]]; then
    rm -rf "$root/data"
    log "copying the primary into $root/data (pg_basebackup)"
    as_owner "$basebackup" -D "$root/data" -d "$primary" -R -X stream -c fast >&2 ||
      die "pg_basebackup failed"
    sock=$(socket_dir "$root")
    printf "unix_socket_directories = '%s'\n" "$sock" >>"$root/data/postgresql.conf"
    rm -f "$root/port"
  fi
  if cluster_running "$root/data"; then
    log "already running"
  else
    remove_stale_pid "$root/data"
    start_server "$root"
  fi
  print_url "$root"
}

cmd_stop() {
  local dir=$1 root
  [[ -d $dir ]] || { log "no cluster for $dir"; return 0; }
  lock_dir "$dir"
  root=$(find_cluster_root "$dir") || { log "no cluster for $dir"; return 0; }
  [[ -f $root/data/PG_VERSION ]] || { log "no cluster in $root"; return 0; }
  resolve_bins || die "$MISSING_MSG"
  stop_server "$root"
}

cmd_url() {
  local dir=$1 root
  root=$(find_cluster_root "$dir") || { log "no cluster for $dir"; exit 1; }
  resolve_bins || exit 1
  cluster_running "$root/data" || { log "not running"; exit 1; }
  print_url "$root"
}

remove_cluster() {
  local dir=$1 root=$2
  if is_root; then
    rm -rf -- "$root"
    rm -f -- "$dir/location"
  else
    rm -rf -- "$dir/data"
    rm -f -- "$dir/port" "$dir/postgres.log" "$dir/socket-only"
  fi
}

cmd_destroy() {
  local dir=$1 root
  [[ -d $dir ]] || { log "nothing to destroy at $dir"; return 0; }
  lock_dir "$dir"
  if root=$(find_cluster_root "$dir"); then
    if [[ -f $root/data/PG_VERSION ]]; then
      resolve_bins || die "$MISSING_MSG"
      stop_server "$root"
    fi
    log "deleting the cluster for $dir"
    remove_cluster "$dir" "$root"
  fi
  if is_root; then rm -f -- "$dir/location"; fi
  rm -f -- "$dir/.lock"
  rmdir -- "$dir" 2>/dev/null || true
}

main() {
  if [[ $# -eq 3 && $1 == replica && -n $2 && -n $3 ]]; then
    cmd_replica "$(abs_path "$2")" "$3"
    return
  fi
  [[ $# -eq 2 && -n $2 ]] || usage
  local dir
  dir=$(abs_path "$2")
  case $1 in
    start) cmd_start "$dir" ;;
    stop) cmd_stop "$dir" ;;
    url) cmd_url "$dir" ;;
    destroy) cmd_destroy "$dir" ;;
    *) usage ;;
  esac
}

main "$@"
