#!/usr/bin/env bash
# The dashboard in Debian's Chromium (tests/browser): a throwaway PostgreSQL cluster with the demo
# data, `omnireports serve` on a free port, then the node test. Everything is removed afterwards,
# also when the test fails or the run is interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/sandbox.sh

if [[ ! -x /usr/bin/chromium ]]; then
  echo "browser test SKIPPED: /usr/bin/chromium not found (apt-get install chromium)"
  exit 0
fi
for tool in node npm psql; do
  command -v "$tool" >/dev/null || { echo "browser-test.sh: $tool is missing" >&2; exit 1; }
done

(cd tests/browser && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
scripts/deps.sh
cargo build --bin omnireports
source scripts/lib/target-dir.sh
bin=$TARGET_DIR/debug/omnireports

sandbox_cluster browser
sandbox_demo "$bin"
sandbox_serve "$bin"
export OMNIREPORTS_URL=$SANDBOX_URL DEMO_PASSWORD DEMO_MANAGER_USERNAME DEMO_MANAGER_ID \
  DEMO_MANAGER_TOKEN DEMO_LEAD_USERNAME DEMO_LEAD_ID DEMO_LEAD_TOTP_SECRET

status=0
(cd tests/browser && node --test dashboard.test.mjs) || status=$?
if [[ $status -ne 0 ]]; then
  echo "browser-test.sh: server log:" >&2
  tail -n 50 "$SANDBOX_DIR/server.log" >&2
fi
exit "$status"
