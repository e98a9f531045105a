#!/usr/bin/env bash
# `make bench-import`: how fast `omnireports import` loads livechat rooms, against PostgreSQL's
# own COPY of the same rows.
#
#   scripts/bench-import.sh [ROOMS]     (default 1000000; or ROOMS=… in the environment)
#
# Generates ROOMS livechat rooms as `mongoexport` writes them (JSON Lines, relaxed Extended
# JSON, with the fields a real room has) and the same rows as CSV; on a throwaway PostgreSQL
# cluster, loads the CSV with `psql \copy` into a plain table (no index, no trigger), then
# imports the JSON with the release `omnireports import` into a migrated database. Prints
# rooms/s for both, their ratio, the importer's peak RSS (GNU time), the import's phases and the
# time of the aggregate rebuild alone. Then an increment on the imported database: 1% of the
# rooms changed (moved to another department) and 1,000 of them in the trash, against the
# first import's time, with the reports checked exact afterwards. OMNIREPORTS_BIN=PATH imports
# with another build (an earlier commit's, to compare in one session).
set -euo pipefail
cd "$(dirname "$0")/.."

rooms=${1:-${ROOMS:-1000000}}
[[ $rooms =~ ^[0-9]+$ && $rooms -gt 0 ]] || { echo "usage: $0 [ROOMS]" >&2; exit 2; }

# The benchmark's PostgreSQL gets a production-like buffer cache, not the 128MB default.
export PG_SHARED_BUFFERS=${PG_SHARED_BUFFERS:-2GB}

scripts/deps.sh
if [[ ! -x /usr/bin/time ]]; then
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >&2
  else
    echo "bench-import: GNU time is missing: install the 'time' package" >&2; exit 1
  fi
fi

cargo build --release -q -p omnireports-api --bin omnireports
cargo build --release -q -p omnireports-import --example gen-rooms
source scripts/lib/target-dir.sh
bin=${OMNIREPORTS_BIN:-$TARGET_DIR/release/omnireports}

work=$(mktemp -d /tmp/omnireports-bench.XXXXXX)
chmod 755 "$work"
cleanup() {
  scripts/pg.sh destroy "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

admin_url=$(scripts/pg.sh start "$work/pg")
database() { # NAME: a fresh, migrated database; prints its URL
  psql "$admin_url" -qc "CREATE DATABASE $1"
  local url="${admin_url%/postgres}/$1"
  DATABASE_URL=$url "$bin" migrate >/dev/null 2>&1
  printf '%s\n' "$url"
}
now() { date +%s.%N; }
rate() { awk -v n="$rooms" -v s="$1" 'BEGIN { printf "%.0f", n / s }'; }

echo "generating $rooms rooms…" >&2
"$TARGET_DIR"/release/examples/gen-rooms "$rooms" "$work/export"
mv "$work/export/conversations.csv" "$work/conversations.csv" # not a collection file
json_mb=$(du -m "$work/export/rocketchat_room.json" | cut -f1)

echo "psql \\copy of the CSV into a plain table…" >&2
copy_url=$(database bench_copy)
psql "$copy_url" -qc 'CREATE TABLE plain_conversations (LIKE conversations)'
start=$(now)
psql "$copy_url" -qc "\\copy plain_conversations FROM '$work/conversations.csv' CSV"
copy_s=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')

echo "omnireports import of the JSON…" >&2
import_url=$(database bench_import)
start=$(now)
DATABASE_URL=$import_url /usr/bin/time -f '%M' -o "$work/rss" "$bin" import "$work/export" \
  2> >(tee "$work/summary" >&2)
import_s=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
rss_kb=$(tail -n 1 "$work/rss")
imported=$(psql "$import_url" -tAc 'SELECT count(*) FROM conversations')
[[ $imported -eq $rooms ]] || { echo "bench-import: $imported rooms imported, not $rooms" >&2; exit 1; }

# Where the time goes: the importer's own phases, and the aggregate rebuild (the import's last
# step when it brings more new rooms than exist) run again alone on the imported data.
read -r read_s write_s < <(awk '$1 == "rocketchat_room" { print $(NF - 1), $NF }' "$work/summary")
start=$(now)
psql "$import_url" -qAtc 'SELECT engine.rebuild_aggregates()' >/dev/null
rebuild_s=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')

copy_rate=$(rate "$copy_s")
import_rate=$(rate "$import_s")
printf '\n%s rooms (%s MB of mongoexport JSON), PostgreSQL shared_buffers %s\n' "$rooms" "$json_mb" "$PG_SHARED_BUFFERS"
printf '  psql \\copy (CSV, plain table):      %8.1f s  %9s rooms/s\n' "$copy_s" "$copy_rate"
printf '  omnireports import (JSON):           %8.1f s  %9s rooms/s\n' "$import_s" "$import_rate"
awk -v i="$import_rate" -v c="$copy_rate" 'BEGIN { printf "  ratio import / COPY:                 %8.3f  (goal: at least 0.333)\n", i / c }'
awk -v k="$rss_kb" 'BEGIN { printf "  importer peak RSS:                   %8.1f MB (goal: at most 200 MB)\n", k / 1024 }'
printf '  import phases: read + COPY %.1f s, upsert + aggregates %.1f s\n' "$read_s" "$write_s"
printf '  aggregate rebuild alone:             %8.1f s\n' "$rebuild_s"

# An increment: 1% of the rooms moved to another department, and 1,000 rooms deleted (the
# trash's entries, as mongoexport writes them), in one import on the imported database.
changed=$(( rooms / 100 ))
trashed=$(( rooms < 100000 ? rooms / 100 : 1000 ))
mkdir "$work/increment"
head -n "$changed" "$work/export/rocketchat_room.json" |
  sed -E 's/"departmentId":"dep([0-9]+)"/"departmentId":"dep\1x"/' > "$work/increment/rocketchat_room.json"
tail -n "$trashed" "$work/export/rocketchat_room.json" |
  sed -E 's/^\{"_id":"([^"]+)".*/{"_id":"\1","__collection__":"room","_deletedAt":{"$date":"2026-12-01T00:00:00.000Z"}}/' \
  > "$work/increment/rocketchat__trash.json"
start=$(now)
DATABASE_URL=$import_url /usr/bin/time -f '%M' -o "$work/rss-increment" "$bin" import "$work/increment" \
  2> >(tee "$work/summary-increment" >&2)
increment_s=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
increment_rss_kb=$(tail -n 1 "$work/rss-increment")
# Exact afterwards: the folded aggregates against a plain GROUP BY over the rows.
psql "$import_url" -qAtc 'SELECT engine.fold_changes(1000000000)' >/dev/null
left=$(psql "$import_url" -tAc 'SELECT count(*) FROM conversations')
[[ $left -eq $(( rooms - trashed )) ]] || { echo "bench-import: $left rooms left, not $(( rooms - trashed ))" >&2; exit 1; }
mismatch=$(psql "$import_url" -tAc "
  WITH raw AS (SELECT department_id, count(*) AS n FROM conversations GROUP BY 1),
       agg AS (SELECT department_id, sum(n)::bigint AS n FROM agg_department WHERE level = 2 GROUP BY 1 HAVING sum(n) <> 0)
  SELECT count(*) FROM raw FULL JOIN agg USING (department_id) WHERE raw.n IS DISTINCT FROM agg.n")
[[ $mismatch -eq 0 ]] || { echo "bench-import: $mismatch departments' aggregates differ from their rows" >&2; exit 1; }
printf '  increment (%s changed, %s trashed):  %8.2f s  %.3f of the first import (goal: at most 0.05), peak RSS %.1f MB\n' \
  "$changed" "$trashed" "$increment_s" "$(awk -v a="$increment_s" -v b="$import_s" 'BEGIN { print a / b }')" \
  "$(awk -v k="$increment_rss_kb" 'BEGIN { print k / 1024 }')"

