# shellcheck shell=bash
# Sourced by the benchmarks that load a release server with wrk.
#
#   bench_release_server   the system packages (scripts/deps.sh) and wrk (installed as root,
#                          else asked for), then the release `omnireports`; sets `bin` to it.
#                          Needs the script's own `log`.

bench_release_server() {
  scripts/deps.sh
  if ! command -v wrk >/dev/null; then
    [[ $EUID -eq 0 ]] || { log "install wrk (sudo apt-get install wrk)"; exit 1; }
    apt-get install -y -qq wrk >&2
  fi
  cargo build --release -q -p omnireports-api --bin omnireports
  source scripts/lib/target-dir.sh
  bin=$TARGET_DIR/release/omnireports
}
