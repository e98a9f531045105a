#!/usr/bin/env bash
# The Citus tier of `make test`: a real coordinator and two workers on this machine
# (scripts/citus.sh), destroyed afterwards, also on failure or Ctrl-C; each test database is
# made on all three and distributed by `omnireports migrate`'s Citus layout. Runs the Citus
# test, the two exactness property tests and the import tests of Citus's paths against it. Without Citus and
# without ../shared/vendor to build it from, it says SKIPPED and passes.
set -euo pipefail
cd "$(dirname "$0")/.."

rc=0
scripts/citus.sh install || rc=$?
if (( rc == 3 )); then
  echo "citus-test.sh: SKIPPED: Citus is not installed (install Citus 12.1 for PostgreSQL 15, or keep ../shared/vendor)" >&2
  exit 0
fi
(( rc == 0 )) || exit "$rc"

NODES=$(mktemp -d /tmp/omnireports-citus.XXXXXX)
trap 'scripts/citus.sh destroy "$NODES/cluster" >/dev/null 2>&1 || true; rm -rf "$NODES"' EXIT
trap 'exit 130' INT TERM
mapfile -t urls < <(scripts/citus.sh start "$NODES/cluster")
(( ${#urls[@]} == 3 )) || { echo "citus-test.sh: the cluster did not start" >&2; exit 1; }

started=$SECONDS
export DATABASE_URL=${urls[0]} OMNIREPORTS_TEST_CITUS_WORKERS="${urls[1]},${urls[2]}"
cargo test -p omnireports-db --test citus
cargo test -p omnireports-db --test db -- a_deferred_bulk_write_is_not_logged_and_the_rebuild_counts_it
cargo test -p omnireports-analytics --test exactness
cargo test -p omnireports-trends --test exactness
# The imports that write through Citus's paths (a first import's rebuild, increments, the
# trash, tokens, a killed import, a writer waiting for a rebuild); the reader's own tests
# (encodings, malformed documents) do not depend on where the rows go.
cargo test -p omnireports-import --test import -- \
  a_first_import_rebuilds_the_aggregates_and_later_ones_maintain_them \
  a_newer_export_updates_in_place_and_reports_follow \
  reimport_is_idempotent_in_any_encoding \
  documents_map_to_the_rows_computed_by_hand \
  a_killed_import_leaves_the_database_as_before \
  a_writer_during_a_rebuilding_import_waits_for_it_and_is_counted \
  an_inactive_user_holds_no_tokens_whatever_the_export_lists

# The binary on it: `omnireports migrate` and `demo` in a Citus database of its own, then a
# report served from it equals the plain count, before and after a write.
coordinator=$(scripts/citus.sh database "$NODES/cluster" omnireports_citus_smoke)
cargo build --bin omnireports
source scripts/lib/target-dir.sh
bin=$TARGET_DIR/debug/omnireports
source scripts/lib/sandbox.sh
SANDBOX_DIR=$NODES
trap 'sandbox_stop_server; scripts/citus.sh destroy "$NODES/cluster" >/dev/null 2>&1 || true; rm -rf "$NODES"' EXIT
DATABASE_URL=$coordinator sandbox_demo "$bin"
DATABASE_URL=$coordinator sandbox_serve "$bin"
start=$(date -u -d '-300 days' +%Y-%m-%dT00:00:00.000Z) end=$(date -u +%Y-%m-%dT23:59:59.999Z)
report() {
  curl -sf -H "X-User-Id: $DEMO_ADMIN_ID" -H "X-Auth-Token: $DEMO_ADMIN_TOKEN" \
    "$SANDBOX_URL/api/v1/livechat/analytics/dashboards/conversations-by-source?start=$start&end=$end" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])'
}
plain() {
  psql "$coordinator" -qAt -c "SELECT count(*) FROM conversations
    WHERE source_type IS NOT NULL AND ts >= '$start' AND ts < '$end'::timestamptz + interval '1 ms'"
}
before=$(plain)
(( before > 0 )) && [[ $(report) == "$before" ]] ||
  { echo "citus-test.sh: the served report differs from the plain count ($before)" >&2; exit 1; }
psql "$coordinator" -qc "INSERT INTO conversations (id, ts, source_type) VALUES ('citus-smoke', now() - interval '1 hour', 'api')"
[[ $(report) == $(( before + 1 )) ]] ||
  { echo "citus-test.sh: the served report missed a write" >&2; exit 1; }
echo "citus-test.sh: omnireports migrate, demo and serve on Citus: exact" >&2
echo "citus-test.sh: the Citus tier took $(( SECONDS - started )) s" >&2
