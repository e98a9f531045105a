#!/usr/bin/env bash
# `make test`: every test of the workspace against a throwaway PostgreSQL cluster, which is
# destroyed afterwards, also when a test fails or the run is interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
dir=$(mktemp -d /tmp/omnireports-test.XXXXXX)
cleanup() {
  scripts/pg.sh destroy "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

DATABASE_URL=$(scripts/pg.sh start "$dir")
export DATABASE_URL
cargo test --workspace --all-targets "$@"
cargo test --workspace --doc "$@"
scripts/browser-test.sh
