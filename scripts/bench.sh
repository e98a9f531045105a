#!/usr/bin/env bash
# `make bench [N=10000000]`: the reports' speed at N conversations against the plain GROUP BY,
# a trivial route's ceiling, the server's peak RSS and the write cost of the pre-aggregation,
# all in one run on a throwaway PostgreSQL cluster. Prints one table.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-10000000}
DURATION=${DURATION:-10}          # seconds per wrk run
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
RUNS=${RUNS:-5}                   # repetitions behind each baseline median
PORT=${PORT:-3917}
THINK_MS=${THINK_MS:-20}          # per-connection pause of the paced (below saturation) runs
ONE_CLIENT_RUNS=${ONE_CLIENT_RUNS:-5}  # runs behind each one-client median (cache off)
ONE_CLIENT_SECONDS=${ONE_CLIENT_SECONDS:-4}
# The benchmark's PostgreSQL gets a production-sized buffer cache (a third of the machine's
# 24 GiB, within PostgreSQL's documented 25-40%), which holds the whole database at 10 M, and the
# database is read into it before measuring. On this VM the kernel's page cache does not keep
# what PostgreSQL leaves to it (pages of a file read a moment ago are gone again), and a page
# read back from the virtual disk takes 10-500 ms: with 2 GB, those reads were the one-client
# p99s (20-211 ms) rather than the answers.
export PG_SHARED_BUFFERS=${PG_SHARED_BUFFERS:-8GB}

log() { printf 'bench: %s\n' "$*" >&2; }

scripts/deps.sh
if ! command -v wrk >/dev/null; then
  [[ $EUID -eq 0 ]] || { log "install wrk (sudo apt-get install wrk)"; exit 1; }
  apt-get install -y -qq wrk >&2
fi
cargo build --release -p omnireports-api --bin omnireports >&2
cargo build --release -p omnireports-analytics --example baseline --example ranges >&2
cargo build --release -p omnireports-trends --example series >&2
source scripts/lib/target-dir.sh
bin=$TARGET_DIR/release/omnireports
baseline=$TARGET_DIR/release/examples/baseline
ranges_bin=$TARGET_DIR/release/examples/ranges
series_bin=$TARGET_DIR/release/examples/series

dir=$(mktemp -d /tmp/omnireports-bench.XXXXXX)
server=''
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null || true
  scripts/pg.sh destroy "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
admin=$(scripts/pg.sh start "$dir")
psql "$admin" -qc 'CREATE DATABASE bench'
export DATABASE_URL="${admin%/postgres}/bench"
"$bin" migrate 2>/dev/null

log "generating $N conversations"
started=$(date +%s)
psql "$DATABASE_URL" -q -v n="$N" -f scripts/bench/generate.sql >&2
log "generated in $(( $(date +%s) - started )) s"
started=$(date +%s)
psql "$DATABASE_URL" -qAt -c 'CREATE EXTENSION IF NOT EXISTS pg_prewarm' \
  -c "SELECT sum(pg_prewarm(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname IN ('public', 'engine') AND c.relkind IN ('r', 'i')" >/dev/null
log "read into shared_buffers in $(( $(date +%s) - started )) s"

user=$("$bin" user create --username bench --role admin 2>/dev/null)
token=$("$bin" token create --user bench --personal bench 2>/dev/null)
# A livechat monitor of bench-unit (12 of the 60 departments), exempt from the rate limit by a
# role that holds only that permission.
monitor=$("$bin" user create --username bench-monitor --role livechat-monitor --role bench-bypass 2>/dev/null)
monitor_token=$("$bin" token create --user bench-monitor --personal bench 2>/dev/null)
psql "$DATABASE_URL" -qc "INSERT INTO unit_monitors (id, monitor_id, unit_id) VALUES ('bench', '$monitor', 'bench-unit')" \
  -c "UPDATE permissions SET roles = roles || '{bench-bypass}' WHERE id = 'api-bypass-rate-limit'"

# start_server [ENV=VALUE...]: (re)starts the server with these settings.
start_server() {
  [[ -n $server ]] && kill "$server" && wait "$server" 2>/dev/null || true
  env OMNIREPORTS_LOG__FILTER=warn "$@" "$bin" serve --bind "127.0.0.1:$PORT" 2>>"$dir/server.log" &
  server=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
}
start_server

today=$(date -u +%Y-%m-%d)
year_start=$(date -u -d "$today -364 days" +%Y-%m-%dT00:00:00.000Z)
month_start=$(date -u -d "$today -29 days" +%Y-%m-%dT00:00:00.000Z)
end=${today}T23:59:59.999Z
declare -A ranges=([one-year]="$year_start/$end" [one-month]="$month_start/$end" [random]=random)

# load PATH RANGE [THINK_MS [USER TOKEN [QUERY]]]: wrk RESULT line → "p50 p99 rps", after a
# one-second warm-up that opens the pool's connections and prepares the report's statement on
# them: the figures are the steady state. The user is the admin `bench` unless given; QUERY is
# appended to each query string. Each line is also kept, after its path, in $dir/results.
load() {
  local run line
  line=$(for run in 1 "$DURATION"; do
    BENCH_PATH=$1 BENCH_RANGE=$2 BENCH_USER=${4:-$user} BENCH_TOKEN=${5:-$token} BENCH_THINK_MS=${3:-0} \
      BENCH_QUERY=${6:-} \
      wrk -t"$THREADS" -c"$CONNECTIONS" -d"${run}s" -s scripts/bench/report.lua \
      "http://127.0.0.1:$PORT"
  done | sed -n 's/^RESULT //p' | tail -1)
  echo "$1 $line" >>"$dir/results"
  echo "$line"
}

field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$2"; }

# median_of: RESULT lines (p50_ms=… p99_ms=… rps=…) → one such line of each field's median.
median_of() {
  local lines f
  lines=$(cat)
  for f in p50_ms p99_ms rps; do
    printf '%s=%s ' "$f" "$(field "$f" "$lines" | sort -g |
      awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')"
  done
}

rss_kb() { awk '/VmHWM/ {print $2}' "/proc/$server/status"; }

log "measuring the trivial route"
ceiling=$(load /health random)
ceiling_rps=$(field rps "$ceiling")

results=()
for report in department source status tags agent; do
  for range in one-year one-month random; do
    log "loading conversations-by-$report, $range"
    out=$(load "/api/v1/livechat/analytics/dashboards/conversations-by-$report" "${ranges[$range]}")
    results+=("$report $range $out")
  done
done
# Latency at a steady load below saturation: random ranges again, each connection pausing
# THINK_MS before each request, so the figures show the answer time rather than the queue.
for report in department source status tags agent; do
  log "loading conversations-by-$report, random ranges, paced"
  out=$(load "/api/v1/livechat/analytics/dashboards/conversations-by-$report" random "$THINK_MS")
  results+=("$report paced $out")
done
# A monitor's random ranges, saturated and paced.
for report in department source status tags agent; do
  log "loading conversations-by-$report, random ranges, as a monitor"
  out=$(load "/api/v1/livechat/analytics/dashboards/conversations-by-$report" random 0 "$monitor" "$monitor_token")
  results+=("$report monitor $out")
  out=$(load "/api/v1/livechat/analytics/dashboards/conversations-by-$report" random "$THINK_MS" "$monitor" "$monitor_token")
  results+=("$report mon-paced $out")
done
# Rocket.Chat's Reports CSV of the same month as the JSON rows above (cached alike).
for report in department source status tags agent; do
  log "loading the export CSV of conversations-by-$report, one-month"
  out=$(load "/api/omnireports/v1/export/conversations-by-$report.csv" "${ranges[one-month]}")
  results+=("$report export-month $out")
done
peak_rss=$(rss_kb)

# The same ranges with the answer cache off: every request computes its report.
start_server OMNIREPORTS_CACHE__MAX_BYTES=0
for report in department agent; do
  for range in one-year one-month; do
    log "loading conversations-by-$report, $range, without the cache"
    out=$(load "/api/v1/livechat/analytics/dashboards/conversations-by-$report" "${ranges[$range]}")
    results+=("$report $range-nocache $out")
  done
done
# Computed every time, one client (the answer time, not a queue), each the median of
# ONE_CLIENT_RUNS runs of ONE_CLIENT_SECONDS: the export CSV against the JSON report of the same
# month (the two alternating, so both see the VM alike), random ranges with millisecond edges
# (the edges' raw rows read every time), and a 365-day daily series per zone (dates without an
# offset are read in the series' zone: local midnights).
# one_client PATH RANGE [QUERY]: a RESULT line of one run.
one_client() {
  DURATION=$ONE_CLIENT_SECONDS CONNECTIONS=1 THREADS=1 load "$1" "$2" 0 "$user" "$token" "${3:-}"
}
for report in department source status tags agent; do
  log "loading conversations-by-$report and its export CSV, one-month, one client, without the cache"
  json='' csv=''
  for _ in $(seq "$ONE_CLIENT_RUNS"); do
    json+=$(one_client "/api/v1/livechat/analytics/dashboards/conversations-by-$report" "${ranges[one-month]}")$'\n'
    csv+=$(one_client "/api/omnireports/v1/export/conversations-by-$report.csv" "${ranges[one-month]}")$'\n'
  done
  results+=("$report json-1client $(median_of <<<"$json")")
  results+=("$report csv-1client $(median_of <<<"$csv")")
done
for report in department source status tags agent; do
  log "loading conversations-by-$report, random ranges, one client, without the cache"
  out=''
  for _ in $(seq "$ONE_CLIENT_RUNS"); do
    out+=$(one_client "/api/v1/livechat/analytics/dashboards/conversations-by-$report" random)$'\n'
  done
  results+=("$report random-1client $(median_of <<<"$out")")
done
series_range="$(date -u -d "$today -365 days" +%Y-%m-%d)/$today"
for zone in Europe/Berlin Asia/Kathmandu; do
  for report in department source status tags agent; do
    log "loading the daily series of conversations-by-$report in $zone, one client, without the cache"
    out=''
    for _ in $(seq "$ONE_CLIENT_RUNS"); do
      out+=$(one_client "/api/omnireports/v1/timeseries/conversations-by-$report" "$series_range" \
        "&interval=day&timezone=$zone")$'\n'
    done
    results+=("$report days-${zone#*/} $(median_of <<<"$out")")
  done
done
log "timing 365-day daily series in-process"
series_out=$("$series_bin" "$DATABASE_URL" 21)
log "timing the plain GROUP BY in-process (median of $RUNS)"
baseline_out=$("$baseline" "$DATABASE_URL" "$RUNS" "${ranges[one-year]}" "${ranges[one-month]}")
log "timing every report in-process over 1000 ranges spread over the year"
ranges_out=$("$ranges_bin" "$DATABASE_URL" 1000)
monitor_out=$("$ranges_bin" "$DATABASE_URL" 1000 bench-unit)

log "timing writes of 100000 conversations with and without the aggregates"
# The writes are rolled back. With the triggers on, each run also times folding the changes it
# logged into the aggregates: the work the server does in the background after a commit.
# "Without" turns off only the triggers of the pre-aggregation (the data version's stays).
without_aggregates='ALTER TABLE conversations DISABLE TRIGGER conversations_aggregate_insert;'
# medians: the median of each column of lines of numbers (a missing column counts as 0).
medians() {
  awk '{for (i = 1; i <= 2; i++) print i, ($i == "" ? 0 : $i)}' | sort -k1,1n -k2,2n |
    awk '{v[$1] = v[$1] " " $2} END {for (i = 1; i <= 2; i++) {split(v[i], a, " "); printf "%s ", a[2]}}'
}
# write_ms on|off TS_EXPRESSION: "insert_ms fold_ms" of single-statement inserts of 100000 rows.
write_ms() {
  local triggers=$1 ts=$2
  for _ in 1 2 3; do
    psql "$DATABASE_URL" -qAt <<SQL | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | paste -sd' '
BEGIN;
$( [[ $triggers == off ]] && echo "$without_aggregates" )
\timing on
INSERT INTO conversations (id, ts, department_id, source_type, open, served_by_id, tags, chat_duration)
SELECT 'write' || i, $ts, 'dep' || (1 + i % 60), 'widget',
       false, 'agent' || (1 + i % 50), '{billing}', 120
FROM generate_series(1, 100000) AS i;
$( [[ $triggers == on ]] && echo 'SELECT engine.fold_changes(NULL);' )
\timing off
ROLLBACK;
SQL
  done | medians
}
# single_ms on|off: "insert_ms fold_ms" of 2000 one-row INSERT statements (ts over a year), as
# a tool syncing rooms one by one would write them.
single_ms() {
  local triggers=$1
  for _ in 1 2 3; do
    {
      echo 'BEGIN;'
      [[ $triggers == off ]] && echo "$without_aggregates"
      echo 'SELECT clock_timestamp() AS started \gset'
      for i in $(seq 2000); do
        echo "INSERT INTO conversations (id, ts, department_id, source_type, served_by_id, tags)" \
          "VALUES ('single$i', now() - interval '$(( i * 15767 % 31536000 )) seconds'," \
          "'dep$(( 1 + i % 60 ))', 'widget', 'agent$(( 1 + i % 50 ))', '{billing}');"
      done
      echo "SELECT extract(epoch FROM clock_timestamp() - :'started') * 1000;"
      if [[ $triggers == on ]]; then
        echo 'SELECT clock_timestamp() AS started \gset'
        echo 'SELECT engine.fold_changes(NULL) \g /dev/null'
        echo "SELECT extract(epoch FROM clock_timestamp() - :'started') * 1000;"
      fi
      echo 'ROLLBACK;'
    } | psql "$DATABASE_URL" -qAt | paste -sd' '
  done | medians
}
recent="now() - random() * interval '1 hour'"
spread="now() - random() * interval '365 days'"
read -r single_with_ms single_fold_ms <<<"$(single_ms on)"
read -r single_without_ms _ <<<"$(single_ms off)"
read -r with_ms fold_ms <<<"$(write_ms on "$recent")"
read -r without_ms _ <<<"$(write_ms off "$recent")"
read -r spread_with_ms spread_fold_ms <<<"$(write_ms on "$spread")"
read -r spread_without_ms _ <<<"$(write_ms off "$spread")"

log "timing every report with 20000 changes logged and not folded yet"
# The server stops, so nothing folds them; the rows are removed afterwards.
kill "$server" && wait "$server" 2>/dev/null || true
server=''
psql "$DATABASE_URL" -qc "INSERT INTO conversations (id, ts, department_id, source_type, served_by_id, tags)
  SELECT 'backlog' || i, $spread, 'dep' || (1 + i % 60), 'widget', 'agent' || (1 + i % 50), '{billing}'
  FROM generate_series(1, 20000) AS i"
backlog_out=$("$ranges_bin" "$DATABASE_URL" 1000)
backlog_fold_ms=$(psql "$DATABASE_URL" -qAt -c '\timing on' -c 'SELECT engine.fold_changes(NULL)' |
  sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
psql "$DATABASE_URL" -qc "DELETE FROM conversations WHERE id LIKE 'backlog%'" \
  -c 'SELECT engine.fold_changes(NULL)' -c 'VACUUM conversation_changes' >/dev/null

# A figure is only worth its answers: list every run with failed or non-2xx requests.
failed=$(awk '$5 != "errors=0" || $6 != "non2xx=0"' "$dir/results")
[[ -z $failed ]] || printf '\nWARNING: runs with failed or non-2xx requests:\n%s\n' "$failed"

printf '\nomnireports benchmark: %s conversations, wrk -t%s -c%s -d%ss, %s cores, shared_buffers %s\n' \
  "$N" "$THREADS" "$CONNECTIONS" "$DURATION" "$(nproc)" "$PG_SHARED_BUFFERS"
printf 'paced: random ranges, each connection pausing %s ms before each request; monitor: as a monitor of bench-unit\n' "$THINK_MS"
printf 'export-month: the export CSV, cached like the JSON; json-1client / csv-1client / random-1client / days-<zone> (365-day daily series): one client (wrk -t1 -c1), cache off, medians of %s runs of %s s\n\n' "$ONE_CLIENT_RUNS" "$ONE_CLIENT_SECONDS"
printf '%-12s %-10s %9s %9s %9s %12s %14s\n' report range p50_ms p99_ms req/s groupby_ms groupby/p50
for line in "${results[@]}"; do
  read -r report range rest <<<"$line"
  p50=$(field p50_ms "$rest"); p99=$(field p99_ms "$rest"); rps=$(field rps "$rest")
  naive='-'; ratio='-'
  if [[ $range == one-* ]]; then
    naive=$(awk -v r="conversations-by-$report" \
      '$1 == r && NR > 0 {print $3}' <<<"$baseline_out" | sed -n "$([[ $range == one-year* ]] && echo 1 || echo 2)p")
    ratio=$(awk -v a="$naive" -v b="$p50" 'BEGIN {printf "%.0fx", a / b}')
  fi
  printf '%-12s %-10s %9s %9s %9s %12s %14s\n' "$report" "$range" "$p50" "$p99" "$rps" "$naive" "$ratio"
done
printf '\n%-44s %s\n' "trivial route (/health) req/s" "$ceiling_rps"
awk -v a="$(field rps "${results[0]#* * }")" -v b="$ceiling_rps" \
  'BEGIN {printf "%-44s %.1f%%\n", "one-year department req/s / ceiling", 100 * a / b}'
printf '%-44s %s MB\n' "server peak RSS (VmHWM)" "$(( $(echo "$peak_rss") / 1024 ))"
write_line() {
  awk -v label="$1" -v a="$2" -v b="$3" -v f="$4" \
    'BEGIN {printf "%-44s %9.0f ms with, %9.0f ms without: %.2fx; folding after: %.0f ms\n", label, a, b, a / b, f}'
}
write_line "insert 100000 new (ts in the last hour)" "$with_ms" "$without_ms" "$fold_ms"
write_line "insert 100000 historical (ts over a year)" "$spread_with_ms" "$spread_without_ms" "$spread_fold_ms"
write_line "2000 one-row inserts (ts over a year)" "$single_with_ms" "$single_without_ms" "$single_fold_ms"
printf '\nIn-process medians (report, range, GROUP BY ms, aggregates ms, exactness):\n%s\n' "$baseline_out"
printf '\nIn-process, 1000 ranges spread over the year (report, p50 ms, p99 ms, max ms):\n%s\n' "$ranges_out"
printf '\nIn-process, a 365-day daily series in one statement, 21 runs (report, zone, buckets, p50 ms, p99 ms, the buckets one compute each ms, exactness):\n%s\n' "$series_out"
printf '\nThe same as a monitor of bench-unit (12 of the 60 departments):\n%s\n' "$monitor_out"
printf '\nThe same (unrestricted) with 20000 changes over the year logged, not folded:\n%s\n' "$backlog_out"
printf 'folding those 20000 changes: %.0f ms\n' "$backlog_fold_ms"
