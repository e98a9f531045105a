#!/usr/bin/env bash
# Makes sure the system libraries the build needs are present: libpq (for Diesel's PostgreSQL
# backend). Installs them with apt-get when run as root, else says exactly what to install.
set -euo pipefail

if command -v pg_config >/dev/null 2>&1 && [[ -e "$(pg_config --libdir)/libpq.so" ]]; then
  exit 0
fi
if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "deps.sh: installing libpq-dev" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpq-dev >&2
  exit 0
fi
echo "deps.sh: libpq is missing: install the libpq-dev package (e.g. sudo apt-get install libpq-dev)" >&2
exit 1
