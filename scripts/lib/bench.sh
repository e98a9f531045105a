# shellcheck shell=bash
# Sourced by the benchmarks that load a release server with wrk.
#
#   bench_release_server   the system packages (scripts/deps.sh) and wrk (installed as root,
#                          else asked for), then the release `omnireports`; sets `bin` to it.
#                          Needs the script's own `log`.

bench_release_server() {
  scripts/deps.sh
  if ! command -v wrk >/dev/null; then
    [[ $EUID -eq 0 ]] || { log "install wrk (sudo apt-get install wrk)"; exit 1; }
    apt-get install -y -qq wrk >&2
  fi
  cargo build --release -q -p omnireports-api --bin omnireports
  source scripts/lib/target-dir.sh
  bin=$TARGET_DIR/release/omnireports
}

#   bench_serve DATABASE_URL [VAR=VALUE...]
#                          a release server on a free port over that database, cache and rate
#                          limiter off; prints "PID URL" once /health answers (its log in
#                          $BENCH_LOG, default /dev/null)
#   bench_reports URL REPORT SECONDS
#                          random ranges of up to a year of conversations-by-REPORT as
#                          $BENCH_USER/$BENCH_TOKEN, CONNECTIONS connections each pausing
#                          THINK_MS (below saturation): "p50_ms p99_ms req/s errors non2xx",
#                          after a one-second warm-up
#   bench_compare REPORT SIDE...
#                          RUNS runs of DURATION s of bench_reports per SIDE, alternating,
#                          against ${served[SIDE]} as ${bench_user[SIDE]}/${bench_token[SIDE]};
#                          prints a row per SIDE: report, side, p50, p99, req/s, failed
#   bench_median           the median of the numbers on its input, one a line
#   bench_summary          of bench_reports lines: "p50 p99 req/s" medians and the failures

bench_serve() {
  local url=$1 port pid
  shift
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  env OMNIREPORTS_CONFIG_DIR=/nonexistent DATABASE_URL="$url" OMNIREPORTS_RATE_LIMIT__ENABLED=false \
    OMNIREPORTS_CACHE__MAX_BYTES=0 OMNIREPORTS_LOG__FILTER=warn "$@" \
    "$bin" serve --bind "127.0.0.1:$port" 2>>"${BENCH_LOG:-/dev/null}" &
  pid=$!
  for _ in $(seq 150); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null && { echo "$pid http://127.0.0.1:$port"; return; }
    sleep 0.2
  done
  log "no server on port $port"
  exit 1
}

bench_reports() {
  local url=$1 report=$2 seconds=$3
  local run=(env BENCH_PATH="/api/v1/livechat/analytics/dashboards/conversations-by-$report"
    BENCH_RANGE=random BENCH_USER="$BENCH_USER" BENCH_TOKEN="$BENCH_TOKEN"
    BENCH_THINK_MS="${THINK_MS:-20}" wrk -t"${THREADS:-2}" -c"${CONNECTIONS:-16}"
    -s scripts/bench/report.lua "$url")
  "${run[@]}" -d1s >/dev/null
  "${run[@]}" -d"${seconds}s" |
    sed -n 's/^RESULT p50_ms=\(.*\) p99_ms=\(.*\) rps=\(.*\) errors=\(.*\) non2xx=\(.*\)$/\1 \2 \3 \4 \5/p'
}

bench_median() {
  sort -g | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

bench_summary() {
  local lines
  lines=$(cat)
  printf '%s %s %s %s\n' "$(cut -d' ' -f1 <<<"$lines" | bench_median)" \
    "$(cut -d' ' -f2 <<<"$lines" | bench_median)" "$(cut -d' ' -f3 <<<"$lines" | bench_median)" \
    "$(awk '{n += $4 + $5} END {print n + 0}' <<<"$lines")"
}

bench_compare() {
  local report=$1 side run p50 p99 rps failed
  shift
  local -A lines=()
  for run in $(seq "$RUNS"); do
    for side in "$@"; do
      lines[$side]+="$(BENCH_USER=${bench_user[$side]} BENCH_TOKEN=${bench_token[$side]} \
        bench_reports "${served[$side]}" "$report" "$DURATION")"$'\n'
    done
  done
  for side in "$@"; do
    read -r p50 p99 rps failed < <(printf '%s' "${lines[$side]}" | bench_summary)
    printf '%-12s %-8s %9.2f %9.2f %9.1f %7s\n' "$report" "$side" "$p50" "$p99" "$rps" "$failed"
  done
}
