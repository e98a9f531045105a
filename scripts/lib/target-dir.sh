# shellcheck shell=bash
# Sourced by the scripts that run what cargo built. Cargo decides where that is
# (CARGO_TARGET_DIR, build.target-dir in a config file, else ./target), so ask it.
#
#   TARGET_DIR   the workspace's target directory, absolute

TARGET_DIR=$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
export TARGET_DIR
