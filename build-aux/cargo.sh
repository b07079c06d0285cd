#!/usr/bin/env bash
# Called by meson: `cargo.sh build SRC BUILD PROFILE OUTPUT` builds the binary
# and copies it to OUTPUT (`gateway`: the same for paddock-gateway); `cargo.sh man SRC BUILD PROFILE OUTDIR PROGRAM
# PAGE...` writes the manual pages (examples/man_page.rs); `cargo.sh test SRC
# BUILD PROFILE` runs the cargo suites. A CARGO_TARGET_DIR from the environment
# (the dev environment's shared one) is kept; otherwise cargo builds inside the
# meson build folder.
set -euo pipefail
verb=$1 src=$2 build=$3 profile=$4
shift 4
# OUTPUT and OUTDIR may be relative to the folder meson runs us in.
output=${1:-}
case "$output" in '' | /*) ;; *) output=$(pwd)/$output ;; esac
[ $# -eq 0 ] || shift
pages=("$@")
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$build/cargo-target}"
release=()
[ "$profile" = release ] && release=(--release)
# cargo reads .cargo/config.toml (vendored sources for offline builds) from
# the working folder.
cd "$src"
case "$verb" in
build)
    cargo build "${release[@]}"
    cp "$CARGO_TARGET_DIR/$profile/paddock" "$output"
    ;;
gateway)
    # The egress gateway, run in a container of its own (src/gateway).
    cargo build "${release[@]}" -p paddock-gateway
    cp "$CARGO_TARGET_DIR/$profile/paddock-gateway" "$output"
    ;;
man)
    # LANGUAGE=C: the pages are in English, whatever the builder's locale.
    LANGUAGE=C LC_ALL=C cargo run --quiet "${release[@]}" --example man_page -- "$output" "${pages[@]}"
    ;;
test)
    exec cargo test --workspace --no-fail-fast "${release[@]}"
    ;;
*)
    echo "cargo.sh: unknown verb '$verb' (build, man or test)" >&2
    exit 2
    ;;
esac
