#!/usr/bin/env bash
# `make test-deps`: installs, as root with apt-get, the system packages the tests need and the
# machine lacks: the explicit install step of CI (.ci/run) and of a fresh machine. Not root, no
# apt-get or `--check`: says what is missing, and fails if a required package is.
#
#   libpq-dev        pg_config and libpq, for Diesel (also scripts/deps.sh)
#   postgresql       15+ server binaries for the throwaway clusters (also scripts/pg.sh)
#   postgresql-client  psql (scripts/lib/sandbox.sh)
#   python3, curl    the scripts (target directory, free ports, /health)
#   chromium         the browser test (tests/browser), which says SKIPPED without it: optional
#   nodejs, npm      the npm clients' test (tests/clients) and the browser test: required
#   citus            the Citus tier (scripts/citus-test.sh), built from ../shared/vendor by
#                    scripts/citus.sh where that is there; that tier says SKIPPED without it
#
# The de_DE.UTF-8 locale one test wants is made by scripts/test.sh. The Rust toolchain comes
# from rustup (rust-toolchain.toml).
set -euo pipefail

check_only=0
case ${1:-} in
  '') ;;
  --check) check_only=1 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

have() { command -v "$1" >/dev/null 2>&1; }
have_libpq() { have pg_config && [[ -e "$(pg_config --libdir)/libpq.so" ]]; }
# Where scripts/pg.sh looks: PATH, then /usr/lib/postgresql/*/bin.
have_server() { have initdb || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }

required=() optional=()
have_libpq || required+=(libpq-dev)
have_server || required+=(postgresql)
have psql || required+=(postgresql-client)
have python3 || required+=(python3)
have curl || required+=(curl)
# scripts/clients-test.sh fails without node and npm; only the browser test is skipped without
# Chromium (at the path scripts/browser-test.sh checks).
have node || required+=(nodejs)
have npm || required+=(npm)
[[ -x /usr/bin/chromium ]] || optional+=(chromium)

# Citus for the Citus tier, when it can be built here (root, apt-get, the vendored source).
citus() {
  local rc=0
  "$(dirname "$0")/citus.sh" install || rc=$?
  (( rc == 0 || rc == 3 )) || echo "install-test-deps.sh: building Citus failed: the Citus tier will fail" >&2
}

if (( ${#required[@]} + ${#optional[@]} == 0 )); then
  echo "install-test-deps.sh: everything the tests need is installed" >&2
  if (( ! check_only )) && [[ $EUID -eq 0 ]]; then citus; fi
  exit 0
fi
if (( check_only )) || [[ $EUID -ne 0 ]] || ! have apt-get; then
  (( ${#required[@]} == 0 )) ||
    echo "install-test-deps.sh: missing: ${required[*]} (e.g. sudo apt-get install ${required[*]})" >&2
  (( ${#optional[@]} == 0 )) ||
    echo "install-test-deps.sh: optional, missing: ${optional[*]} (the browser test is skipped without them)" >&2
  exit $(( ${#required[@]} > 0 ))
fi

apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; }
all=("${required[@]}" "${optional[@]}")
echo "install-test-deps.sh: installing ${all[*]}" >&2
apt-get update -qq || echo "install-test-deps.sh: apt-get update failed; trying the package lists as they are" >&2
if (( ${#required[@]} )); then apt_install "${required[@]}"; fi
if (( ${#optional[@]} )); then
  apt_install "${optional[@]}" ||
    echo "install-test-deps.sh: installing ${optional[*]} failed: the browser test will be skipped" >&2
fi
citus
