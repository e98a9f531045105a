#!/usr/bin/env bash
# Rocket.Chat's own npm clients, unchanged (tests/clients: @rocket.chat/api-client and the REST
# api of @rocket.chat/sdk), signing in and reading the reports: a throwaway PostgreSQL cluster
# with the demo data, `omnireports serve` on a free port, then the node test. Everything is
# removed afterwards, also when the test fails or the run is interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/sandbox.sh

# Unlike the browser test, nothing here is optional: without node and npm it fails.
for tool in node npm psql; do
  command -v "$tool" >/dev/null || { echo "clients-test.sh: $tool is missing (make test-deps)" >&2; exit 1; }
done

(cd tests/clients && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
scripts/deps.sh
cargo build --bin omnireports
source scripts/lib/target-dir.sh
bin=$TARGET_DIR/debug/omnireports

sandbox_cluster clients
sandbox_demo "$bin"
sandbox_serve "$bin"
export OMNIREPORTS_URL=$SANDBOX_URL DEMO_PASSWORD DEMO_MANAGER_USERNAME DEMO_MANAGER_ID \
  DEMO_MANAGER_TOKEN

status=0
(cd tests/clients && node --test clients.test.mjs) || status=$?
if [[ $status -ne 0 ]]; then
  echo "clients-test.sh: server log:" >&2
  tail -n 50 "$SANDBOX_DIR/server.log" >&2
fi
exit "$status"
