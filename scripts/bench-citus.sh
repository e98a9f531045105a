#!/usr/bin/env bash
# `make bench-citus`: omnireports on a Citus coordinator with two workers against one plain
# PostgreSQL, on this machine. The same ROOMS generated livechat rooms (as `make bench-import`
# makes them) are imported into both (the first import's time), then the same increment (1% of
# the rooms moved to another department, 1,000 in the trash; its time); both are checked exact.
# Then, per report, RUNS times, alternating the two servers: random ranges of up to a year,
# for each number of CONNECTIONS (one client alone, then 16), each connection pausing THINK_MS,
# cache and rate limiter off; each figure is the median of the runs' p50/p99.
#
#   ROOMS=1000000 RUNS=3 DURATION=10 SHARDS=32 scripts/bench-citus.sh
#
# SHARDS is the Citus database's `citus.shard_count` when `omnireports migrate` distributes
# the tables (32, Citus's default, unless set).
#
# Citus comes from scripts/citus.sh (built from ../shared/vendor when missing); without it the
# benchmark stops and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/bench.sh

ROOMS=${ROOMS:-1000000}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-"1 16"}
THREADS=${THREADS:-2}
THINK_MS=${THINK_MS:-20}
SHARDS=${SHARDS:-32}
REPORTS=${REPORTS:-"department source status tags agent"}
export PG_SHARED_BUFFERS=${PG_SHARED_BUFFERS:-1GB}

log() { printf 'bench-citus: %s\n' "$*" >&2; }

rc=0
scripts/citus.sh install || rc=$?
(( rc == 0 )) || { log "Citus is not installed (scripts/citus.sh install)"; exit 1; }
bench_release_server
cargo build --release -q -p omnireports-import --example gen-rooms

work=$(mktemp -d /tmp/omnireports-bench-citus.XXXXXX)
chmod 755 "$work"
servers=()
cleanup() {
  local status=$?
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  if (( status != 0 )); then # the nodes' logs, for what went wrong
    for node in "$work"/citus/*/ "$work/plain/"; do
      tail -n 50 "$(cat "$node/location" 2>/dev/null || echo "$node")/postgres.log" >&2 || true
    done
  fi
  scripts/pg.sh destroy "$work/plain" >/dev/null 2>&1 || true
  scripts/citus.sh destroy "$work/citus" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export BENCH_LOG=$work/server.log

plain_admin=$(scripts/pg.sh start "$work/plain" 2>/dev/null)
psql "$plain_admin" -qc 'CREATE DATABASE bench'
declare -A url=([plain]=${plain_admin%/postgres}/bench)
scripts/citus.sh start "$work/citus" >/dev/null 2>&1
url[citus]=$(scripts/citus.sh database "$work/citus" bench)
psql "${url[citus]}" -qc "ALTER DATABASE bench SET citus.shard_count = $SHARDS"

log "generating $ROOMS rooms and an increment"
"$TARGET_DIR"/release/examples/gen-rooms "$ROOMS" "$work/export" >/dev/null
rm "$work/export/conversations.csv" # not a collection file
changed=$(( ROOMS / 100 ))
trashed=$(( ROOMS < 100000 ? ROOMS / 100 : 1000 ))
mkdir "$work/increment"
head -n "$changed" "$work/export/rocketchat_room.json" |
  sed -E 's/"departmentId":"dep([0-9]+)"/"departmentId":"dep\1x"/' >"$work/increment/rocketchat_room.json"
tail -n "$trashed" "$work/export/rocketchat_room.json" |
  sed -E 's/^\{"_id":"([^"]+)".*/{"_id":"\1","__collection__":"room","_deletedAt":{"$date":"2026-12-01T00:00:00.000Z"}}/' \
    >"$work/increment/rocketchat__trash.json"

seconds() { # COMMAND...: runs it, prints its wall time in seconds
  local start
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}
# The folded counts against a plain GROUP BY over the rows: the number of departments that differ.
mismatches() {
  psql "$1" -qAtc 'SELECT engine.fold_changes(1000000000)' >/dev/null
  psql "$1" -tAc "
    WITH raw AS (SELECT department_id, count(*) AS n FROM conversations GROUP BY 1),
         agg AS (SELECT department_id, sum(n)::bigint AS n FROM agg_department WHERE level = 2
                 GROUP BY 1 HAVING sum(n) <> 0)
    SELECT count(*) FROM raw FULL JOIN agg USING (department_id) WHERE raw.n IS DISTINCT FROM agg.n"
}

declare -A first increment
for side in plain citus; do
  export DATABASE_URL=${url[$side]}
  "$bin" migrate >/dev/null 2>&1
  log "$side: first import"
  first[$side]=$(seconds "$bin" import "$work/export")
  log "$side: increment"
  increment[$side]=$(seconds "$bin" import "$work/increment")
  left=$(psql "$DATABASE_URL" -qAtc 'SELECT count(*) FROM conversations')
  (( left == ROOMS - trashed )) || { log "$side: $left rooms, not $(( ROOMS - trashed ))"; exit 1; }
  wrong=$(mismatches "$DATABASE_URL")
  (( wrong == 0 )) || { log "$side: $wrong departments' counts differ from their rows"; exit 1; }
  psql "$DATABASE_URL" -qc 'VACUUM ANALYZE'
done
# The imports' dirty pages written out now, on every node, not while the reports are timed.
psql "${url[plain]}" -qc 'CHECKPOINT'
psql "${url[citus]}" -qAtc "CHECKPOINT; SELECT * FROM run_command_on_workers('CHECKPOINT')" >/dev/null

# A user and a token in each database.
declare -A bench_user bench_token
for side in plain citus; do
  bench_user[$side]=$(DATABASE_URL=${url[$side]} "$bin" user create --username bench --role admin 2>/dev/null)
  bench_token[$side]=$(DATABASE_URL=${url[$side]} "$bin" token create --user bench --personal bench 2>/dev/null)
done

declare -A served
for side in plain citus; do
  read -r pid served[$side] < <(bench_serve "${url[$side]}")
  servers+=("$pid")
done

printf '\nomnireports bench-citus: %s rooms, %s cores; Citus: a coordinator and 2 workers on them, %s shards\n' \
  "$ROOMS" "$(nproc)" "$SHARDS"
printf 'first import %s s (plain) / %s s (Citus); increment (%s changed, %s trashed) %s s / %s s; both exact\n' \
  "${first[plain]}" "${first[citus]}" "$changed" "$trashed" "${increment[plain]}" "${increment[citus]}"
for clients in $CONNECTIONS; do
  threads=$(( THREADS < clients ? THREADS : clients )) # wrk wants a connection per thread
  printf '\nreports: random ranges up to a year, wrk -t%s -c%s, each connection pausing %s ms; cache and rate limiter off; %s runs of %s s (medians)\n\n' \
    "$threads" "$clients" "$THINK_MS" "$RUNS" "$DURATION"
  printf '%-12s %-8s %9s %9s %9s %7s\n' report on p50_ms p99_ms req/s failed
  for report in $REPORTS; do
    log "conversations-by-$report, $clients connection(s)"
    CONNECTIONS=$clients THREADS=$threads bench_compare "$report" plain citus
  done
done
