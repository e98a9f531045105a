#!/usr/bin/env bash
# `make test`: every test of the workspace against a throwaway PostgreSQL cluster, which is
# destroyed afterwards, also when a test fails or the run is interrupted; then the Citus tier
# (scripts/citus-test.sh) and the dashboard in a headless browser (skipped, and said so,
# without Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/sandbox.sh

scripts/deps.sh
# A German locale before the cluster starts: a test checks that statement timeouts are told
# apart whatever language PostgreSQL's messages are in (it says SKIPPED without the locale).
if [[ $EUID -eq 0 ]] && ! locale -a 2>/dev/null | grep -qix 'de_DE\.utf-\?8'; then
  command -v localedef >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq locales; } >&2
  localedef -i de_DE -f UTF-8 de_DE.UTF-8 || echo "test.sh: no de_DE.UTF-8 locale" >&2
fi
sandbox_cluster test
cargo test --workspace --all-targets "$@"
cargo test --workspace --doc "$@"
# The Citus tier: its own coordinator and two workers (SKIPPED where Citus cannot be had).
scripts/citus-test.sh
scripts/browser-test.sh
scripts/clients-test.sh
