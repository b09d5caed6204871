#!/usr/bin/env bash
# Loom model tests of the soft device's queue protocols: the receive
# queue's two locks against posts, consumes and flushes, and the deferred
# work. The crate is built with `--cfg loom`, which swaps its queue locks
# and atomics for loom's (soft/src/sync.rs); only the tests named
# `loom_tests` run (the others use std's threads and are not models).
set -euo pipefail
cd "$(dirname "$0")/.."
RUSTFLAGS="--cfg loom ${RUSTFLAGS:-}" CARGO_TARGET_DIR=target/loom \
    cargo test --locked -p ibops-soft --lib --release -- loom_tests "$@"
