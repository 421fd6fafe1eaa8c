#!/usr/bin/env bash
# Coverage-guided fuzzing of cityrank's parsers with AFL++ (through cargo-afl, on
# the pinned stable toolchain). Usage:
#
#   bash tools/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Default: 60 s for each target of fuzz/src/lib.rs (manifest, edition,
# dataset-description, csv, xlsx, formula, published, panel, plugin-table).
# Installs cargo-afl (pinned) and AFL++ on first use, builds the instrumented
# harness into target/afl, runs one campaign per target (seeds: fuzz/corpus/TARGET,
# findings: target/fuzz-out/TARGET), and prints per target the executions, the
# coverage and the crashes and hangs found. Exits 1 when any was found: add the
# input (target/fuzz-out/TARGET/default/crashes/…) to fuzz/corpus/TARGET/, fix the
# bug, and `cargo test -p cityrank-fuzz` keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
exec </dev/null

SECONDS_PER_TARGET="${1:-60}"
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    TARGETS=(manifest edition dataset-description csv xlsx formula published panel plugin-table)
fi
CARGO_AFL_VERSION=0.18.2

if ! cargo afl --version 2>/dev/null | grep -q "$CARGO_AFL_VERSION"; then
    cargo install cargo-afl --version "$CARGO_AFL_VERSION" --locked
fi
# AFL++ itself (built once per toolchain): say why when it cannot be built.
if ! config_log="$(cargo afl config --build 2>&1)" && ! grep -q "already built" <<<"$config_log"; then
    echo "$config_log" >&2
    exit 2
fi

cargo afl build --release -p cityrank-fuzz --features afl --target-dir target/afl

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
# FUZZ_SEED fixes AFL++'s random seed (CI sets it); by default every run differs.
seed=()
if [ -n "${FUZZ_SEED:-}" ]; then
    seed=(-s "$FUZZ_SEED")
fi
found=0
printf '%-22s %12s %10s %9s %8s %6s\n' target executions "per s" coverage crashes hangs
for target in "${TARGETS[@]}"; do
    out="target/fuzz-out/$target"
    rm -rf "$out"
    mkdir -p "$out"
    # -t: a hang is an input that takes over 2 s; -m none: the harness's memory is its own.
    cargo afl fuzz -V "$SECONDS_PER_TARGET" -t 2000 -m none "${seed[@]}" -i "fuzz/corpus/$target" -o "$out" \
        -- target/afl/release/fuzz "$target" >"$out/afl.log" 2>&1 || {
        echo "afl-fuzz failed for $target; see $out/afl.log" >&2
        exit 2
    }
    stats="$out/default/fuzzer_stats"
    field() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
    # What AFL++ saved is run again on its own: a crash must crash again, and a
    # hang must still take over 10 s (a busy machine can make an input look slow).
    crashes=0
    hangs=0
    for input in "$out"/default/crashes/id:* ; do
        [ -e "$input" ] || continue
        if ! target/afl/release/fuzz "$target" <"$input" >/dev/null 2>&1; then
            crashes=$((crashes + 1))
            echo "crash: $input" >&2
        fi
    done
    for input in "$out"/default/hangs/id:* ; do
        [ -e "$input" ] || continue
        if ! timeout 10 target/afl/release/fuzz "$target" <"$input" >/dev/null 2>&1; then
            hangs=$((hangs + 1))
            echo "hang: $input" >&2
        fi
    done
    printf '%-22s %12s %10s %9s %8s %6s\n' "$target" "$(field execs_done)" "$(field execs_per_sec)" \
        "$(field bitmap_cvg)" "$crashes" "$hangs"
    if [ "$crashes" != 0 ] || [ "$hangs" != 0 ]; then
        found=1
    fi
done
exit "$found"
