#!/usr/bin/env bash
# The dashboard in Debian's Chromium (tests/browser): a throwaway PostgreSQL cluster with the demo
# data, `omnireports serve` on a free port, then the node test. Everything is removed afterwards,
# also when the test fails or the run is interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."

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
bin=target/debug/omnireports

dir=$(mktemp -d /tmp/omnireports-browser.XXXXXX)
server_pid=
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  scripts/pg.sh destroy "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

admin_url=$(scripts/pg.sh start "$dir")
psql "$admin_url" -qc 'CREATE DATABASE omnireports'
export DATABASE_URL="${admin_url%/postgres}/omnireports"
"$bin" migrate
demo=$("$bin" demo)
# Only well-formed DEMO_*=… lines, so nothing else of stdout reaches the shell.
eval "$(grep -E '^DEMO_[A-Z_]+_(ID|TOKEN)=[A-Za-z0-9_.-]+$' <<<"$demo" | sed 's/^/export /')"
: "${DEMO_MANAGER_ID:?omnireports demo printed no DEMO_MANAGER_ID}"

port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
  console.log(s.address().port); s.close(); })')
export OMNIREPORTS_URL="http://127.0.0.1:$port"
"$bin" serve --bind "127.0.0.1:$port" 2>"$dir/server.log" &
server_pid=$!

healthy() {
  node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
    "$OMNIREPORTS_URL/health"
}
for _ in $(seq 100); do
  healthy && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$dir/server.log" >&2; echo "browser-test.sh: the server exited" >&2; exit 1; }
  sleep 0.2
done
healthy || { cat "$dir/server.log" >&2; echo "browser-test.sh: no answer on /health" >&2; exit 1; }

status=0
(cd tests/browser && node --test dashboard.test.mjs) || status=$?
if [[ $status -ne 0 ]]; then
  echo "browser-test.sh: server log:" >&2
  tail -n 50 "$dir/server.log" >&2
fi
exit "$status"
