# shellcheck shell=bash
# Sourced by the scripts that run omnireports on a throwaway PostgreSQL cluster (tests, browser
# test, API fuzzing, benchmarks). Everything it starts is stopped and removed when the script
# exits, also on failure or Ctrl-C.
#
#   sandbox_cluster NAME       start a cluster under /tmp/omnireports-NAME.*; exports DATABASE_URL
#                              (its `omnireports` database) and SANDBOX_DIR
#   sandbox_demo BIN           migrate and load the demo data; exports DEMO_<ROLE>_ID/_TOKEN
#   sandbox_serve BIN [VAR=VALUE...]
#                              `BIN serve` on a free port with these settings, its log in
#                              $SANDBOX_DIR/server.log; sets SANDBOX_URL and SANDBOX_PID once
#                              /health answers (a second call replaces the first server)

SANDBOX_DIR='' SANDBOX_PID='' SANDBOX_URL=''

sandbox_cleanup() {
  sandbox_stop_server
  if [[ -n $SANDBOX_DIR ]]; then
    scripts/pg.sh destroy "$SANDBOX_DIR/pg" >/dev/null 2>&1 || true
    rm -rf "$SANDBOX_DIR"
  fi
}

sandbox_stop_server() {
  if [[ -n $SANDBOX_PID ]]; then
    kill "$SANDBOX_PID" 2>/dev/null || true
    wait "$SANDBOX_PID" 2>/dev/null || true
    SANDBOX_PID=''
  fi
}

sandbox_cluster() {
  SANDBOX_DIR=$(mktemp -d "/tmp/omnireports-$1.XXXXXX")
  trap sandbox_cleanup EXIT
  trap 'exit 130' INT TERM
  local admin_url
  admin_url=$(scripts/pg.sh start "$SANDBOX_DIR/pg")
  psql "$admin_url" -qc 'CREATE DATABASE omnireports'
  export DATABASE_URL="${admin_url%/postgres}/omnireports" SANDBOX_DIR
}

sandbox_demo() {
  "$1" migrate >&2
  local demo
  demo=$("$1" demo)
  # Only well-formed DEMO_*=… lines reach the shell.
  eval "$(grep -E '^DEMO_([A-Z_]+_(ID|USERNAME|TOKEN|TOTP_SECRET)|PASSWORD)=[A-Za-z0-9_.-]+$' <<<"$demo" | sed 's/^/export /')"
  : "${DEMO_ADMIN_ID:?omnireports demo printed no DEMO_ADMIN_ID}"
}

sandbox_serve() {
  local bin=$1 port
  shift
  sandbox_stop_server
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  SANDBOX_URL=http://127.0.0.1:$port
  env OMNIREPORTS_CONFIG_DIR=/nonexistent "$@" "$bin" serve --bind "127.0.0.1:$port" \
    2>>"$SANDBOX_DIR/server.log" &
  SANDBOX_PID=$!
  for _ in $(seq 150); do
    curl -sf "$SANDBOX_URL/health" >/dev/null && return 0
    if ! kill -0 "$SANDBOX_PID" 2>/dev/null; then
      tail -n 50 "$SANDBOX_DIR/server.log" >&2
      echo "sandbox: the server exited" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "sandbox: no answer on $SANDBOX_URL/health" >&2
  return 1
}
