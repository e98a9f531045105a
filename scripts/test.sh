#!/usr/bin/env bash
# `make test`: every test of the workspace against a throwaway PostgreSQL cluster, which is
# destroyed afterwards, also when a test fails or the run is interrupted; then the dashboard in
# a headless browser (skipped, and said so, without Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/sandbox.sh

scripts/deps.sh
sandbox_cluster test
cargo test --workspace --all-targets "$@"
cargo test --workspace --doc "$@"
scripts/browser-test.sh
