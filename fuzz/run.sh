#!/usr/bin/env bash
# Runs each cargo-fuzz target for FUZZ_SECONDS (default 60) and prints the executions and crashes
# of each. Exits non-zero after a crash (libFuzzer stops at the first one; its input is saved in
# fuzz/artifacts/<target>/ and can be replayed with `cargo fuzz run <target> <file>`).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-query sort date validate import_reader}
# Only stable Rust is installed; cargo-fuzz's sanitizer flags are nightly-only (-Z).
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

summary=""
failed=0
for target in $targets; do
    mkdir -p "corpus/$target"
    log="target/$target.log"
    mkdir -p target
    echo "fuzzing $target for ${seconds}s (log: fuzz/$log)" >&2
    # One process on one core: the new inputs go to corpus/, the seeds stay read-only.
    if cargo fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
        crashes=0
    else
        crashes=1
        failed=1
        tail -n 40 "$log" >&2
    fi
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    summary+=$(printf '%-14s %12s executions  %s crash(es)' "$target" "${executions:-?}" "$crashes")$'\n'
done
printf '%s' "$summary"
exit "$failed"
