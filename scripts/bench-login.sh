#!/usr/bin/env bash
# `make bench-login`: what `POST /api/v1/login` costs and what it takes from the reports, on a
# throwaway PostgreSQL cluster with the demo data (its users' passwords are bcrypt cost 10, as
# Rocket.Chat's exports are). For each value of auth.password_checks, one server (rate limiter
# and report cache off, so every login and every report is really computed), and RUNS times:
#   - a report alone: random ranges of conversations-by-REPORT, CONNECTIONS connections each
#     pausing THINK_MS before each request (below saturation, as `make bench`'s paced rows);
#   - the same report while LOGIN_CLIENTS clients log in continuously (no pause);
#   - logins alone, 1 client and LOGIN_CLIENTS clients.
# Each figure is the median of the RUNS runs (each run's p50/p99 from wrk's latency
# distribution, after a one-second warm-up). Prints one table.
#
# The machine's cores are shared: each measurement starts only once others use under QUIET% of
# them (or after QUIET_WAIT s), and the header says how busy they were when measurements started.
#
#   RUNS=5 DURATION=10 PASSWORD_CHECKS=1 LOGIN_CLIENTS=20 scripts/bench-login.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/sandbox.sh
source scripts/lib/bench.sh

RUNS=${RUNS:-5}
DURATION=${DURATION:-10}              # seconds per measured wrk run
PASSWORD_CHECKS=${PASSWORD_CHECKS:-1}  # auth.password_checks values, one server each
LOGIN_CLIENTS=${LOGIN_CLIENTS:-20}
CONNECTIONS=${CONNECTIONS:-16}        # report connections
THREADS=${THREADS:-2}                 # wrk threads of the report load
THINK_MS=${THINK_MS:-20}
REPORT=${REPORT:-department}
QUIET=${QUIET:-15}                    # % of the machine others may use when a measurement starts
QUIET_WAIT=${QUIET_WAIT:-600}         # seconds a measurement waits for that at most

log() { printf 'bench-login: %s\n' "$*" >&2; }

bench_release_server

sandbox_cluster login
login_wrk=''
stop_all() { if [[ -n $login_wrk ]]; then kill "$login_wrk" 2>/dev/null || true; fi; sandbox_cleanup; }
trap stop_all EXIT
sandbox_demo "$bin" 2>/dev/null
: "${DEMO_PASSWORD:?omnireports demo printed no DEMO_PASSWORD}" "${DEMO_MANAGER_USERNAME:?}"
export LOGIN_USER=$DEMO_MANAGER_USERNAME LOGIN_PASSWORD=$DEMO_PASSWORD
# The demo's conversations folded into the aggregates before any server starts: the first runs
# must not measure reports over a change log not folded yet.
psql "$DATABASE_URL" -qc 'SELECT engine.fold_changes(NULL)' -c 'VACUUM ANALYZE' >/dev/null
conversations=$(psql "$DATABASE_URL" -qAtc 'SELECT count(*) FROM conversations')
hash_cost=$(psql "$DATABASE_URL" -qAtc \
  "SELECT split_part(password_bcrypt, '\$', 3) FROM users WHERE username = '$LOGIN_USER'")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
path=/api/v1/livechat/analytics/dashboards/conversations-by-$REPORT

# reports SECONDS: "p50 p99 rps errors non2xx" of the paced random-range report load.
reports() {
  BENCH_PATH=$path BENCH_RANGE=random BENCH_USER=$DEMO_ADMIN_ID BENCH_TOKEN=$DEMO_ADMIN_TOKEN \
    BENCH_THINK_MS=$THINK_MS wrk -t"$THREADS" -c"$CONNECTIONS" -d"$1s" -s scripts/bench/report.lua \
    "$SANDBOX_URL" | sed -n 's/^RESULT p50_ms=\(.*\) p99_ms=\(.*\) rps=\(.*\) errors=\(.*\) non2xx=\(.*\)$/\1 \2 \3 \4 \5/p'
}
# logins CLIENTS SECONDS: the same fields of CLIENTS connections logging in back to back.
logins() {
  wrk -t1 -c"$1" -d"$2s" --timeout 30s -s scripts/bench/login.lua "$SANDBOX_URL" | login_fields
}
login_fields() {
  sed -n 's/^LOGIN p50_ms=\(.*\) p99_ms=\(.*\) rps=\(.*\) errors=\(.*\) non2xx=\(.*\)$/\1 \2 \3 \4 \5/p'
}
# machine_busy: the share (%) of the machine's CPU time busy over the next half second.
machine_busy() {
  local before after
  before=$(head -1 /proc/stat)
  sleep 0.5
  after=$(head -1 /proc/stat)
  printf '%s\n%s\n' "$before" "$after" | awk '
    {busy = $2 + $3 + $4 + $7 + $8 + $9; all = busy + $5 + $6}
    NR == 1 {b = busy; a = all}
    NR == 2 {printf "%.0f\n", 100 * (busy - b) / (all - a)}'
}
# settle: waits (at most 15 s) until the server uses under a tenth of a core. A login whose
# client has gone (wrk stops with requests in flight) still gets its bcrypt check, so logins
# queued behind the permits keep a core busy for a while after wrk ends; no measurement may
# start before they are through. Then it waits (at most QUIET_WAIT s) until the machine is
# busier than QUIET% no more: the load of others (builds, tests) on shared cores. The share
# last seen is appended to $SANDBOX_DIR/others.
settle() {
  local ticks=$(( $(getconf CLK_TCK) / 20 )) before after busy waited=0
  for _ in $(seq 30); do
    before=$(awk '{print $14 + $15}' "/proc/$SANDBOX_PID/stat")
    sleep 0.5
    after=$(awk '{print $14 + $15}' "/proc/$SANDBOX_PID/stat")
    (( after - before < ticks )) && break
  done
  (( after - before < ticks )) || log "the server stayed busy"
  while busy=$(machine_busy); (( busy > QUIET && waited < QUIET_WAIT )); do
    (( waited == 0 )) && log "the machine is ${busy}% busy without this benchmark: waiting"
    sleep 5
    waited=$(( waited + 5 ))
  done
  echo "$busy" >>"$SANDBOX_DIR/others"
}
# One warm-up second (pool connections opened, statements prepared), then the measured run.
measure_reports() { settle; reports 1 >/dev/null; settle; reports "$DURATION"; }
measure_logins() { settle; logins "$1" 1 >/dev/null; settle; logins "$1" "$DURATION"; }

# median: the median of the p50, p99 and req/s columns of its input lines, and the sums of
# their errors and non-2xx counts.
median() {
  local lines column
  lines=$(cat)
  for column in 1 2 3; do
    cut -d' ' -f"$column" <<<"$lines" | sort -g |
      awk '{v[NR] = $1} END {printf "%s ", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
  done
  awk '{e += $4; n += $5} END {print e + 0, n + 0}' <<<"$lines"
}

declare -A results
for checks in $PASSWORD_CHECKS; do
  sandbox_serve "$bin" OMNIREPORTS_AUTH__PASSWORD_CHECKS="$checks" \
    OMNIREPORTS_RATE_LIMIT__ENABLED=false OMNIREPORTS_CACHE__MAX_BYTES=0 \
    OMNIREPORTS_LOG__FILTER=warn
  status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"user\":\"$LOGIN_USER\",\"password\":\"$LOGIN_PASSWORD\"}" "$SANDBOX_URL/api/v1/login")
  [[ $status == 200 ]] || { log "login as $LOGIN_USER answered $status"; exit 1; }
  alone=() during=() during_logins=() one=() many=()
  for run in $(seq "$RUNS"); do
    log "password_checks=$checks, run $run/$RUNS: report alone"
    alone+=("$(measure_reports)")
    log "password_checks=$checks, run $run/$RUNS: report while $LOGIN_CLIENTS clients log in"
    # The logins start a second before the report's warm-up and end a second after its run
    # (which has no settle: the logins are the point).
    settle
    wrk -t1 -c"$LOGIN_CLIENTS" -d"$(( DURATION + 3 ))s" --timeout 30s -s scripts/bench/login.lua \
      "$SANDBOX_URL" >"$SANDBOX_DIR/logins.out" &
    login_wrk=$!
    sleep 1
    during+=("$(reports 1 >/dev/null; reports "$DURATION")")
    wait "$login_wrk"
    login_wrk=''
    during_logins+=("$(login_fields <"$SANDBOX_DIR/logins.out")")
    log "password_checks=$checks, run $run/$RUNS: logins, 1 and $LOGIN_CLIENTS clients"
    one+=("$(measure_logins 1)")
    many+=("$(measure_logins "$LOGIN_CLIENTS")")
    log "  report p99 alone ${alone[-1]#* } | with logins ${during[-1]#* }"
    log "  logins during ${during_logins[-1]} | 1 client ${one[-1]} | $LOGIN_CLIENTS clients ${many[-1]}"
  done
  results[$checks.one]=$(printf '%s\n' "${one[@]}" | median)
  results[$checks.many]=$(printf '%s\n' "${many[@]}" | median)
  results[$checks.alone]=$(printf '%s\n' "${alone[@]}" | median)
  results[$checks.during]=$(printf '%s\n' "${during[@]}" | median)
  results[$checks.during_logins]=$(printf '%s\n' "${during_logins[@]}" | median)
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
others=$(sort -n "$SANDBOX_DIR/others" |
  awk '{v[NR] = $1} END {printf "median %d%%, max %d%% (%d samples)", v[int((NR + 1) / 2)], v[NR], NR}')

printf '\nomnireports bench-login: demo data (%s conversations), bcrypt cost %s, %s cores, %s runs of %s s (medians of the runs)\n' \
  "$conversations" "$hash_cost" "$(nproc)" "$RUNS" "$DURATION"
printf 'report: conversations-by-%s, random ranges, wrk -t%s -c%s, each connection pausing %s ms; cache and rate limiter off\n' \
  "$REPORT" "$THREADS" "$CONNECTIONS" "$THINK_MS"
printf 'load average before %s, after %s; machine busy without it when measurements started: %s\n' \
  "$load_before" "$load_after" "$others"
printf 'checks: auth.password_checks; failed: non-2xx answers (503: no check free in time) and socket errors, all runs\n\n'
printf '%-6s %-36s %9s %9s %9s %7s\n' checks measurement p50_ms p99_ms req/s failed
row() {
  local p50 p99 rps errors non2xx
  read -r p50 p99 rps errors non2xx <<<"$3"
  printf '%-6s %-36s %9.2f %9.2f %9.1f %7s\n' "$1" "$2" "$p50" "$p99" "$rps" "$(( errors + non2xx ))"
}
for checks in $PASSWORD_CHECKS; do
  row "$checks" "login, 1 client" "${results[$checks.one]}"
  row "$checks" "login, $LOGIN_CLIENTS clients" "${results[$checks.many]}"
  row "$checks" "report alone" "${results[$checks.alone]}"
  row "$checks" "report, $LOGIN_CLIENTS clients logging in" "${results[$checks.during]}"
  row "$checks" "  (the logins meanwhile)" "${results[$checks.during_logins]}"
  read -r a50 a99 _ <<<"${results[$checks.alone]}"
  read -r d50 d99 _ <<<"${results[$checks.during]}"
  awk -v c="$checks" -v a50="$a50" -v a99="$a99" -v d50="$d50" -v d99="$d99" 'BEGIN {
    r = d99 / a99
    printf "%-6s report p99 with logins / alone: %.2fx (%s the 2x bound); p50: %.2fx\n",
      c, r, (r <= 2 ? "within" : "OVER"), d50 / a50 }'
done
