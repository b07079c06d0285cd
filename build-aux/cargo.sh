#!/bin/sh
# Called by meson: `cargo.sh build SRC BUILD PROFILE OUTPUT` builds the binary
# and copies it to OUTPUT; `cargo.sh test SRC BUILD PROFILE` runs the cargo
# suites. A CARGO_TARGET_DIR from the environment (the dev environment's
# shared one) is kept; otherwise cargo builds inside the meson build folder.
set -eu
verb=$1 src=$2 build=$3 profile=$4
# OUTPUT is relative to the folder meson runs us in.
output=${5:+$(pwd)/$5}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$build/cargo-target}"
set --
[ "$profile" = release ] && set -- --release
# cargo reads .cargo/config.toml (vendored sources for offline builds) from
# the working folder.
cd "$src"
case "$verb" in
build)
    cargo build "$@"
    cp "$CARGO_TARGET_DIR/$profile/paddock" "$output"
    ;;
test)
    exec cargo test --no-fail-fast "$@"
    ;;
*)
    echo "cargo.sh: unknown verb '$verb' (build or test)" >&2
    exit 2
    ;;
esac
