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

export BENCH_LOG=$SANDBOX_DIR/server.log
declare -A served bench_user=([primary]=$user [replica]=$user) bench_token=([primary]=$token [replica]=$token)
read -r primary_server served[primary] < <(bench_serve "$DATABASE_URL")
read -r replica_server served[replica] < <(bench_serve "$DATABASE_URL" OMNIREPORTS_DATABASE__READ_URL="$replica_url")
ready=$(curl -s "${served[replica]}/ready")
grep -q '"status":"up"' <<<"$ready" || { log "the replica server is not reading the replica: $ready"; exit 1; }

printf '\nomnireports bench-replica: %s conversations, %s cores, %s runs of %s s per report and server (medians)\n' \
  "$(psql "$DATABASE_URL" -qAtc 'SELECT count(*) FROM conversations')" "$(nproc)" "$RUNS" "$DURATION"
printf 'random ranges up to a year, wrk -t%s -c%s, each connection pausing %s ms; cache and rate limiter off\n\n' \
  "$THREADS" "$CONNECTIONS" "$THINK_MS"
printf '%-12s %-8s %9s %9s %9s %7s\n' report reads p50_ms p99_ms req/s failed
for report in $REPORTS; do
  log "conversations-by-$report"
  bench_compare "$report" primary replica
done
reads=$(curl -s "${served[replica]}/metrics" | grep '^omnireports_report_reads_total' || true)
printf '\nthe replica server'"'"'s reads:\n%s\n' "$reads"
