#!/usr/bin/env bash
# `make bench-soak`: the release server under far more concurrent connections than pool
# connections for SOAK_SECONDS, on a throwaway PostgreSQL cluster with the demo data. Every
# request must be served (200) or refused with the documented 503; the server's RSS is sampled
# every INTERVAL seconds to show whether it stays flat. Prints the RSS series, its min/median/max
# and trend after a WARMUP, and the status counts; fails if any request got something else.
#
#   SOAK_SECONDS=120 CONNECTIONS=128 POOL=8 ACQUIRE_MS=2000 scripts/bench-soak.sh
# (a small ACQUIRE_MS, e.g. 20, makes the pool refuse part of the load with 503s)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/sandbox.sh
source scripts/lib/bench.sh

SOAK_SECONDS=${SOAK_SECONDS:-120}
CONNECTIONS=${CONNECTIONS:-128}
POOL=${POOL:-8}
THREADS=${THREADS:-2}
INTERVAL=${INTERVAL:-5}
WARMUP=${WARMUP:-20}             # seconds left out of the RSS statistics
ACQUIRE_MS=${ACQUIRE_MS:-2000}      # database.acquire_timeout_ms

log() { printf 'bench-soak: %s\n' "$*" >&2; }

bench_release_server

sandbox_cluster soak
wrk_pid=''
stop_wrk() { if [[ -n $wrk_pid ]]; then kill "$wrk_pid" 2>/dev/null || true; fi; sandbox_cleanup; }
trap stop_wrk EXIT
# The demo admin: exempt from the rate limit by permission, like a dashboard behind a proxy.
sandbox_demo "$bin" 2>/dev/null
export SOAK_USER=$DEMO_ADMIN_ID SOAK_TOKEN=$DEMO_ADMIN_TOKEN
sandbox_serve "$bin" OMNIREPORTS_DATABASE__MAX_SIZE="$POOL" \
  OMNIREPORTS_DATABASE__ACQUIRE_TIMEOUT_MS="$ACQUIRE_MS" OMNIREPORTS_LOG__FILTER=warn
server=$SANDBOX_PID dir=$SANDBOX_DIR

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }

log "wrk -t$THREADS -c$CONNECTIONS -d${SOAK_SECONDS}s, pool $POOL, acquire timeout ${ACQUIRE_MS} ms, RSS every ${INTERVAL}s"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SOAK_SECONDS}s" --timeout 30s -s scripts/bench/soak.lua \
  "$SANDBOX_URL" >"$dir/wrk.out" &
wrk_pid=$!
samples=() started=$SECONDS
while kill -0 "$wrk_pid" 2>/dev/null; do
  kill -0 "$server" 2>/dev/null || { log "the server died:"; cat "$dir/server.log" >&2; exit 1; }
  samples+=("$(( SECONDS - started )) $(rss_kb)")
  sleep "$INTERVAL"
done
wait "$wrk_pid"
wrk_pid=''
result=$(sed -n 's/^SOAK //p' "$dir/wrk.out")
[[ -n $result ]] || { log "wrk printed no result:"; cat "$dir/wrk.out" >&2; exit 1; }
peak_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$server/status")

printf '\nomnireports soak: wrk -t%s -c%s -d%ss, pool %s connections, acquire timeout %s ms, %s cores\n\n' \
  "$THREADS" "$CONNECTIONS" "$SOAK_SECONDS" "$POOL" "$ACQUIRE_MS" "$(nproc)"
printf 'server RSS (MB) every %ss:\n' "$INTERVAL"
printf '%s\n' "${samples[@]}" | awk '{printf "  t=%4ds  %6.1f\n", $1, $2 / 1024}'
# Statistics after the warm-up (connections opened, buffers, allocator arenas and the report
# cache grown).
after_warmup() { printf '%s\n' "${samples[@]}" | awk -v warmup="$WARMUP" '$1 >= warmup'; }
after_warmup | sort -k2,2n | awk -v peak="$peak_kb" '
  { v[NR] = $2 }
  END {
    if (NR < 4) { print "too few samples after the warm-up"; exit }
    median = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "RSS after the warm-up: min %.1f MB, median %.1f MB, max %.1f MB (%d samples); peak (VmHWM) %.1f MB\n",
      v[1] / 1024, median / 1024, v[NR] / 1024, NR, peak / 1024
  }'
# Least-squares slope of RSS over time, for all samples after the warm-up and for the last half.
after_warmup | awk '
  function slope(from,   i, n, st, sv, stt, stv) {
    for (i = from; i <= NR; i++) { n++; st += t[i]; sv += v[i]; stt += t[i] * t[i]; stv += t[i] * v[i] }
    return (n * stv - st * sv) / (n * stt - st * st) * 60 / 1024
  }
  { t[NR] = $1; v[NR] = $2 }
  END {
    if (NR < 4) exit
    printf "RSS trend: %+.2f MB/min after the warm-up, %+.2f MB/min over its last half\n",
      slope(1), slope(int(NR / 2) + 1)
  }'
field() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" <<<"$result"; }
printf 'requests: %s (%s req/s): %s x 200, %s x 503 (documented body), %s other; socket errors %s, timeouts %s\n' \
  "$(field requests)" "$(field rps)" "$(field ok)" "$(field unavailable)" "$(field other)" \
  "$(field socket_errors)" "$(field timeouts)"
printf 'latency: p50 %s ms, p99 %s ms, max %s ms\n' "$(field p50_ms)" "$(field p99_ms)" "$(field max_ms)"
if [[ $(field other) -ne 0 || $(field socket_errors) -ne 0 || $(field timeouts) -ne 0 ]]; then
  log "FAILED: some requests got neither a 200 nor the documented 503"
  exit 1
fi
