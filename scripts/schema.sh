#!/usr/bin/env bash
# The schema `omnireports migrate` lays out (pg_dump --schema-only of a fresh database), against
# the committed docs/schema.sql: `scripts/schema.sh` fails when they differ (`make lint`),
# `scripts/schema.sh --write` updates the file (`make schema`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/sandbox.sh

scripts/deps.sh
cargo build -q --bin omnireports
source scripts/lib/target-dir.sh
sandbox_cluster schema
"$TARGET_DIR/debug/omnireports" migrate 2>/dev/null
# Without what changes from run to run: versions, and the random keys of \restrict lines.
pg_dump --schema-only --no-owner --no-privileges "$DATABASE_URL" |
  grep -v -e '^-- Dumped from' -e '^-- Dumped by' -e '^\\restrict' -e '^\\unrestrict' \
  >"$SANDBOX_DIR/schema.sql"
if [[ ${1:-} == --write ]]; then
  cp "$SANDBOX_DIR/schema.sql" docs/schema.sql
  echo "docs/schema.sql written"
elif ! diff -u docs/schema.sql "$SANDBOX_DIR/schema.sql"; then
  echo "schema.sh: docs/schema.sql differs from what the migrations lay out: run make schema" >&2
  exit 1
fi
