#!/usr/bin/env bash
# `make run`: a working server with demo data and no setup.
# Without DATABASE_URL, a private PostgreSQL cluster is started under .data/ (scripts/pg.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cargo build --bin omnireports
source scripts/lib/target-dir.sh
bin=$TARGET_DIR/debug/omnireports
mkdir -p .data

if [[ -z "${DATABASE_URL:-}" ]]; then
  admin_url=$(scripts/pg.sh start .data/pg)
  if ! psql "$admin_url" -tAc "SELECT 1 FROM pg_database WHERE datname = 'omnireports'" | grep -q 1; then
    psql "$admin_url" -qc 'CREATE DATABASE omnireports'
  fi
  export DATABASE_URL="${admin_url%/postgres}/omnireports"
fi

"$bin" migrate
credentials=.data/demo-credentials
loaded=$("$bin" demo --if-empty)
if [[ -n "$loaded" ]]; then
  printf '%s\n' "$loaded" > "$credentials"
elif [[ ! -s "$credentials" ]] || ! grep -q '^DEMO_PASSWORD=' "$credentials"; then
  # Demo data is there but its credentials were not kept (or come from before passwords):
  # give the manager the demo password and a fresh token.
  password=demo-password
  "$bin" user set-password --user manager <<<"$password" 2>/dev/null
  printf 'DEMO_PASSWORD=%s\nDEMO_MANAGER_USERNAME=manager\nDEMO_MANAGER_ID=demo-manager\nDEMO_MANAGER_TOKEN=%s\n' \
    "$password" "$("$bin" token create --user manager --personal make-run)" > "$credentials"
fi
# shellcheck disable=SC1090
source "$credentials"

bind=${OMNIREPORTS_SERVER__BIND:-127.0.0.1:3000}
start=$(date -u -d '-30 days' +%Y-%m-%dT00:00:00.000Z)
end=$(date -u +%Y-%m-%dT23:59:59.999Z)
cat <<MSG

omnireports is starting on http://$bind with demo data (database: ${DATABASE_URL%%\?*}).
Demo credentials are in $credentials.

Dashboard: http://$bind/  (sign in as $DEMO_MANAGER_USERNAME, password $DEMO_PASSWORD)

Or try, in another terminal:

  curl -s http://$bind/api/v1/login -H 'Content-Type: application/json' \\
    -d '{"user": "$DEMO_MANAGER_USERNAME", "password": "$DEMO_PASSWORD"}'

  curl -s -H 'X-User-Id: $DEMO_MANAGER_ID' -H 'X-Auth-Token: $DEMO_MANAGER_TOKEN' \\
    'http://$bind/api/v1/livechat/analytics/dashboards/conversations-by-department?start=$start&end=$end'

MSG
exec "$bin" serve --bind "$bind"
