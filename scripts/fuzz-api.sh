#!/usr/bin/env bash
# `make fuzz-api`: Schemathesis against the server's own OpenAPI description, on a throwaway
# cluster with demo data, as the demo admin (exempt from the rate limit by permission).
# FUZZ_API_SECONDS (default 120) bounds the run; a report goes to target/fuzz-api/.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly SCHEMATHESIS_VERSION=4.32.5
readonly VENV=.data/schemathesis-$SCHEMATHESIS_VERSION
readonly SECONDS_BUDGET=${FUZZ_API_SECONDS:-120}

scripts/deps.sh
if [[ ! -x $VENV/bin/st ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi
cargo build --quiet --bin omnireports
bin=target/debug/omnireports

dir=$(mktemp -d /tmp/omnireports-fuzz-api.XXXXXX)
server=''
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  scripts/pg.sh destroy "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

DATABASE_URL=$(scripts/pg.sh start "$dir")
export DATABASE_URL
"$bin" migrate
eval "$("$bin" demo | grep '^DEMO_ADMIN_')"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
OMNIREPORTS_LOG__FILTER=warn "$bin" serve --bind "127.0.0.1:$port" &
server=$!
for _ in $(seq 100); do curl -sf "$base/health" >/dev/null && break; sleep 0.1; done

mkdir -p target/fuzz-api
"$VENV/bin/st" run "$base/api/v1/openapi.json" \
  --checks all \
  --exclude-checks positive_data_acceptance \
  --max-time "$SECONDS_BUDGET" \
  --workers 2 \
  --header "X-User-Id: $DEMO_ADMIN_ID" \
  --header "X-Auth-Token: $DEMO_ADMIN_TOKEN" \
  --report junit --report-dir target/fuzz-api
