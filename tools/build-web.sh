#!/usr/bin/env bash
# Builds the page module of `cityrank report` (host/web, cityrank-steps behind a
# small interface) for wasm32-unknown-unknown and writes it to
# host/analysis/assets/cityrank-web.wasm, which the binary embeds.
#
# The module is committed, like the JSON Schemas: `cargo build` of the host does
# not need the wasm target, and `cargo test` (tests/report.rs) rebuilds it with
# this script's settings and fails, naming this script, when the committed bytes
# differ from the sources (the build is reproducible: the pinned toolchain, paths
# remapped, no debug information).
#
# Usage: tools/build-web.sh [OUTPUT]   (default: host/analysis/assets/cityrank-web.wasm)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/host/analysis/assets/cityrank-web.wasm}"
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
# Flags separated by 0x1f (CARGO_ENCODED_RUSTFLAGS): SIMD as plugins use it
# (the same bits: cityrank-steps' lanes), and no machine's paths in the module.
flags="-Ctarget-feature=+simd128"
flags+=$'\x1f'"-Cstrip=symbols"
flags+=$'\x1f'"--remap-path-prefix=$root=/cityrank"
flags+=$'\x1f'"--remap-path-prefix=$cargo_home=/cargo"
cd "$root"
CARGO_ENCODED_RUSTFLAGS="$flags" CARGO_TARGET_DIR="$root/target/web" \
    cargo rustc --quiet --release --locked -p cityrank-web --target wasm32-unknown-unknown --crate-type cdylib
cp "$root/target/web/wasm32-unknown-unknown/release/cityrank_web.wasm" "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out ($(wc -c < "$out") bytes)"
