#!/usr/bin/env bash
# Builds and runs every cargo-fuzz target of fuzz/ (or those named after
# SECONDS) for SECONDS each (default 600), two at a time, on the nightly toolchain. Corpora start from
# the real inputs (the schemas, the C fixtures, the seed's header) and grow
# in fuzz/corpus/TARGET; a crash is left in fuzz/artifacts/TARGET and ends
# the script with status 1. Prints each target's executions and time.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

targets=(schema c_decl import_c check_c derive_attr coverage_c coverage_rust roce_packet roce_responder)
# Run only the targets named after the seconds, if any.
if [ $# -gt 1 ]; then targets=("${@:2}"); fi

# Seed corpora from the real inputs, once.
seed() {
    local dir=fuzz/corpus/$1
    shift
    mkdir -p "$dir"
    if [ -z "$(ls -A "$dir")" ]; then
        for f in "$@"; do cp "$f" "$dir/"; done
    fi
}
seed schema ops.toml schemas/seed.toml schemas/verbs_context_ops.toml tests/fixtures/small.toml
seed import_c tests/fixtures/drivers/rxe_verbs.c tests/fixtures/drivers/siw_main.c
seed check_c tests/fixtures/linux-next/device.c tests/fixtures/rdma-core/dummy_ops.c
seed coverage_c tests/fixtures/drivers/rxe_verbs.c tests/fixtures/drivers/siw_main.c tests/fixtures/rdma-core/providers/soft_b/main.c
seed coverage_rust soft/src/ops.rs examples/provider/src/main.rs
mkdir -p fuzz/corpus/c_decl fuzz/corpus/derive_attr fuzz/corpus/roce_packet
if [ -z "$(ls -A fuzz/corpus/roce_packet)" ]; then
    # Packets without their ICRC (the target adds it): an RC SEND ONLY of
    # "hello" with its pad, and an RC RDMA WRITE ONLY of 4 bytes.
    printf '\x04\x40\xff\xff\x00\x00\x00\x12\x80\x00\x00\x01hello\x00\x00\x00' > fuzz/corpus/roce_packet/send
    printf '\x0a\x40\xff\xff\x00\x00\x00\x12\x80\x00\x00\x02\x00\x00\x7f\x00\x00\x00\x10\x00\x00\x00\x01\x00\x00\x00\x00\x04data' > fuzz/corpus/roce_packet/write
fi
mkdir -p fuzz/corpus/roce_responder
if [ -z "$(ls -A fuzz/corpus/roce_responder)" ]; then
    # Requests to the target's QP (number 2) at its first PSN, without their
    # ICRC: a SEND ONLY, an RDMA WRITE ONLY (a RETH at 2 KiB into the
    # window's aim), an RDMA READ REQUEST, a FETCH ADD.
    printf '\x04\x40\xff\xff\x00\x00\x00\x02\x80\x00\x00\x00hello\x00\x00\x00' > fuzz/corpus/roce_responder/send
    printf '\x0a\x40\xff\xff\x00\x00\x00\x02\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x28\x00\x00\x00\x00\x00\x00\x00\x00\x04data' > fuzz/corpus/roce_responder/write
    printf '\x0c\x40\xff\xff\x00\x00\x00\x02\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x28\x00\x00\x00\x00\x00\x00\x00\x01\x00' > fuzz/corpus/roce_responder/read
    printf '\x14\x40\xff\xff\x00\x00\x00\x02\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x28\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00' > fuzz/corpus/roce_responder/fetch_add
fi
if [ -z "$(ls -A fuzz/corpus/c_decl)" ]; then
    grep -o 'c = "[^"]*"' ops.toml | sed 's/^c = "//; s/"$//' |
        awk 'NR <= 40 { f = sprintf("fuzz/corpus/c_decl/seed%03d", NR); print > f; close(f) }'
fi
if [ -z "$(ls -A fuzz/corpus/derive_attr)" ]; then
    printf 'query_device, post_send = datapath::post_send, mandatory' > fuzz/corpus/derive_attr/a
    printf 'obj_size(qp = MyQp, cq = Arc<MyCq>), driver_id = DriverId::Soft, uverbs_abi_ver = 1' > fuzz/corpus/derive_attr/b
    printf 'device_group = GROUP, uverbs_no_driver_id_binding' > fuzz/corpus/derive_attr/c
fi

cd fuzz
cargo +nightly fuzz build
status=0
run() {
    local t=$1
    local log=artifacts/$t.log
    mkdir -p artifacts
    if cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$seconds" -max_len=65536 \
        >"$log" 2>&1; then
        echo "$t: $(grep -Eo 'Done [0-9]+ runs in [0-9]+ second\(s\)' "$log" | tail -1)"
    else
        echo "$t: FAILED (see fuzz/$log and fuzz/artifacts/$t/)"
        return 1
    fi
}
for ((i = 0; i < ${#targets[@]}; i += 2)); do
    pids=()
    for t in "${targets[@]:i:2}"; do
        run "$t" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do
        wait "$p" || status=1
    done
done
exit $status
