#!/usr/bin/env bash
# `make bench-replica`: reports read from a streaming replica against the same reports read
# from the primary. One throwaway primary with N generated conversations (scripts/bench/
# generate.sql), a real replica of it (`scripts/pg.sh replica`: pg_basebackup -R, another port),
# and two release servers on the same primary: one with `database.read_url` set to the replica,
# one without. For each report, RUNS times, alternating the two servers: random ranges of up to
# a year, CONNECTIONS connections each pausing THINK_MS before each request (below
# saturation), cache and rate limiter off. Each figure is the median of the runs' p50/p99.
#
#   N=1000000 RUNS=3 DURATION=10 scripts/bench-replica.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/sandbox.sh
source scripts/lib/bench.sh

N=${N:-1000000}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
THINK_MS=${THINK_MS:-20}
REPORTS=${REPORTS:-"department source status tags agent"}
export PG_SHARED_BUFFERS=${PG_SHARED_BUFFERS:-1GB}

log() { printf 'bench-replica: %s\n' "$*" >&2; }

bench_release_server

sandbox_cluster replica
primary_server='' replica_server=''
stop_all() {
  for pid in $primary_server $replica_server; do kill "$pid" 2>/dev/null || true; done
  scripts/pg.sh destroy "$SANDBOX_DIR/replica" >/dev/null 2>&1 || true
  sandbox_cleanup
}
trap stop_all EXIT
"$bin" migrate 2>/dev/null
log "generating $N conversations"
psql "$DATABASE_URL" -q -v n="$N" -f scripts/bench/generate.sql >/dev/null
user=$("$bin" user create --username bench --role admin 2>/dev/null)
token=$("$bin" token create --user bench --personal bench 2>/dev/null)
psql "$DATABASE_URL" -qc 'VACUUM ANALYZE' -c 'CHECKPOINT'

log "copying the primary into a replica"
admin_url=${DATABASE_URL%/omnireports}/postgres
replica_admin=$(scripts/pg.sh replica "$SANDBOX_DIR/replica" "$admin_url" 2>/dev/null | tail -1)
replica_url=${replica_admin%/postgres}/omnireports
for _ in $(seq 120); do
  behind=$(psql "$replica_url" -qAtc \
    "SELECT pg_wal_lsn_diff('$(psql "$DATABASE_URL" -qAtc 'SELECT pg_current_wal_lsn()')', pg_last_wal_replay_lsn()) > 0")
  [[ $behind == f ]] && break
  sleep 1
done
[[ $behind == f ]] || { log "the replica did not catch up"; exit 1; }

# serve VAR=VALUE...: a server on a free port; prints "PID URL".
serve() {
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  env OMNIREPORTS_CONFIG_DIR=/nonexistent OMNIREPORTS_RATE_LIMIT__ENABLED=false \
    OMNIREPORTS_CACHE__MAX_BYTES=0 OMNIREPORTS_LOG__FILTER=warn "$@" \
    "$bin" serve --bind "127.0.0.1:$port" 2>>"$SANDBOX_DIR/server.log" &
  local pid=$!
  for _ in $(seq 150); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null && { echo "$pid http://127.0.0.1:$port"; return; }
    sleep 0.2
  done
  log "no server on port $port"; exit 1
}
read -r primary_server primary_url < <(serve)
read -r replica_server replica_served < <(serve OMNIREPORTS_DATABASE__READ_URL="$replica_url")
ready=$(curl -s "$replica_served/ready")
grep -q '"status":"up"' <<<"$ready" || { log "the replica server is not reading the replica: $ready"; exit 1; }

# load URL REPORT SECONDS: "p50 p99 rps errors non2xx".
load() {
  BENCH_PATH=/api/v1/livechat/analytics/dashboards/conversations-by-$2 BENCH_RANGE=random \
    BENCH_USER=$user BENCH_TOKEN=$token BENCH_THINK_MS=$THINK_MS \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$3s" -s scripts/bench/report.lua "$1" |
    sed -n 's/^RESULT p50_ms=\(.*\) p99_ms=\(.*\) rps=\(.*\) errors=\(.*\) non2xx=\(.*\)$/\1 \2 \3 \4 \5/p'
}
measure() { load "$1" "$2" 1 >/dev/null; load "$1" "$2" "$DURATION"; }
median() {
  sort -g | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

printf '\nomnireports bench-replica: %s conversations, %s cores, %s runs of %s s per report and server (medians)\n' \
  "$(psql "$DATABASE_URL" -qAtc 'SELECT count(*) FROM conversations')" "$(nproc)" "$RUNS" "$DURATION"
printf 'random ranges up to a year, wrk -t%s -c%s, each connection pausing %s ms; cache and rate limiter off\n\n' \
  "$THREADS" "$CONNECTIONS" "$THINK_MS"
printf '%-12s %-8s %9s %9s %9s %7s\n' report reads p50_ms p99_ms req/s failed
for report in $REPORTS; do
  log "conversations-by-$report"
  primary=() replica=()
  for _ in $(seq "$RUNS"); do
    primary+=("$(measure "$primary_url" "$report")")
    replica+=("$(measure "$replica_served" "$report")")
  done
  for side in primary replica; do
    declare -n runs=$side
    p50=$(printf '%s\n' "${runs[@]}" | cut -d' ' -f1 | median)
    p99=$(printf '%s\n' "${runs[@]}" | cut -d' ' -f2 | median)
    rps=$(printf '%s\n' "${runs[@]}" | cut -d' ' -f3 | median)
    failed=$(printf '%s\n' "${runs[@]}" | awk '{n += $4 + $5} END {print n + 0}')
    printf '%-12s %-8s %9.2f %9.2f %9.1f %7s\n' "$report" "$side" "$p50" "$p99" "$rps" "$failed"
  done
done
reads=$(curl -s "$replica_served/metrics" | grep '^omnireports_report_reads_total' || true)
printf '\nthe replica server'"'"'s reads:\n%s\n' "$reads"
