#!/usr/bin/env bash
# `make check`: the fast tier for the inner loop. The unit tests and the integration tests that
# run in-process (the e2e suite drives the actix app directly), against DATABASE_URL if set,
# else a throwaway PostgreSQL cluster. Left to `make test`: the targets below that run the real
# binary (its own clusters, outages, SIGKILLs), the doc tests and the browser test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/sandbox.sh

# Integration test targets that spawn the `omnireports` binary; every other one runs here, so a
# new test target joins the fast tier unless it is named here.
readonly BINARY_TESTS=(cli faults)

scripts/deps.sh
if [[ -n ${DATABASE_URL:-} ]]; then
  # Its value may hold a password: not printed.
  echo "check.sh: tests create and drop their databases on the server of DATABASE_URL" >&2
else
  sandbox_cluster check
fi
mapfile -t tests < <(cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
skip = set(sys.argv[1:])
names = {t["name"] for p in json.load(sys.stdin)["packages"] for t in p["targets"]
         if "test" in t["kind"] and t["name"] not in skip}
for name in sorted(names):
    print("--test=" + name)
' "${BINARY_TESTS[@]}")
(( ${#tests[@]} )) || { echo "check.sh: cargo metadata listed no test targets" >&2; exit 1; }
cargo test --workspace --lib "${tests[@]}" "$@"
