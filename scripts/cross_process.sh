#!/usr/bin/env bash
# pingpong and ibops-perftest as two processes over the soft device's
# RoCEv2 link, as ibv_rc_pingpong and perftest run: a server, and a client
# naming it. First on loopback (each end on its own 127.0.0.x, as both
# bind UDP port 4791), then in two network namespaces this script creates
# and removes, joined by a veth pair (10.77.0.1 and 10.77.0.2): each end
# takes the address its TCP connection uses. Every run is bounded by
# `timeout`; both ends must exit 0 (pingpong checks every message).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --locked --release --example pingpong -p ibops-examples
cargo build --locked --release -p ibops-perftest
pingpong=$PWD/target/release/examples/pingpong
perftest=$PWD/target/release/ibops-perftest
limit=60

# pair NAME "SERVER-PREFIX" "CLIENT-PREFIX" HOST CMD ARGS...: runs CMD as a
# server and as a client of HOST; prints the client's output.
pair() {
    local name=$1 server_prefix=$2 client_prefix=$3 host=$4
    shift 4
    local out
    out=$(mktemp)
    $server_prefix timeout $limit "$@" >"$out.server" 2>&1 &
    local server=$!
    if ! $client_prefix timeout $limit "$@" "$host" >"$out" 2>&1; then
        echo "$name: the client failed"; cat "$out" "$out.server"; exit 1
    fi
    if ! wait $server; then
        echo "$name: the server failed"; cat "$out.server"; exit 1
    fi
    echo "== $name (client)"; cat "$out"
    rm -f "$out" "$out.server"
}

port=18800
# On loopback the two ends need their own addresses: the server's and the
# client's --roce-addr differ.
run_loopback() {
    local name=$1
    shift
    port=$((port + 1))
    local out
    out=$(mktemp)
    timeout $limit "$@" -p $port --roce-addr 127.0.0.2 >"$out.server" 2>&1 &
    local server=$!
    timeout $limit "$@" -p $port --roce-addr 127.0.0.3 127.0.0.1 >"$out" 2>&1 ||
        { echo "loopback $name: the client failed"; cat "$out" "$out.server"; exit 1; }
    wait $server || { echo "loopback $name: the server failed"; cat "$out.server"; exit 1; }
    echo "== loopback: $name (client)"; cat "$out"
    rm -f "$out" "$out.server"
}

run_loopback "pingpong" "$pingpong" -s 4096 -n 1000
run_loopback "pingpong -e" "$pingpong" -e -m 2048 -n 500
run_loopback "send_bw" "$perftest" send_bw -s 8 -n 100000
run_loopback "write_bw" "$perftest" write_bw -s 65536 -n 5000
run_loopback "read_bw" "$perftest" read_bw -s 65536 -n 2000
run_loopback "atomic_bw" "$perftest" atomic_bw -n 20000
run_loopback "send_lat" "$perftest" send_lat -s 8 -n 5000
run_loopback "write_lat" "$perftest" write_lat -s 8 -n 5000
run_loopback "read_lat" "$perftest" read_lat -s 8 -n 5000

# Two network namespaces, when this machine lets us make them.
a=ibops-a-$$ b=ibops-b-$$
cleanup() { ip netns del "$a" 2>/dev/null || true; ip netns del "$b" 2>/dev/null || true; }
trap cleanup EXIT
if ! ip netns add "$a" 2>/dev/null; then
    echo "network namespaces: not permitted here (needs CAP_SYS_ADMIN); skipped"
    exit 0
fi
ip netns add "$b"
ip link add veth-ibops-a netns "$a" type veth peer name veth-ibops-b netns "$b"
ip -n "$a" addr add 10.77.0.1/24 dev veth-ibops-a
ip -n "$b" addr add 10.77.0.2/24 dev veth-ibops-b
for ns in "$a" "$b"; do
    ip -n "$ns" link set lo up
done
ip -n "$a" link set veth-ibops-a up
ip -n "$b" link set veth-ibops-b up

run_netns() {
    local name=$1
    shift
    port=$((port + 1))
    pair "namespaces: $name" "ip netns exec $a" "ip netns exec $b" 10.77.0.1 "$@" -p $port
}
# The veth's MTU is Ethernet's 1500 bytes: the path MTU is 1024, the
# largest IBTA MTU whose packets fit (as rxe derives its port MTU).
run_netns "pingpong" "$pingpong" -s 4096 -n 1000 -m 1024
run_netns "send_bw" "$perftest" send_bw -s 8 -n 100000 -m 1024
run_netns "write_bw" "$perftest" write_bw -s 65536 -n 5000 -m 1024
run_netns "send_lat" "$perftest" send_lat -s 8 -n 5000 -m 1024
run_netns "read_lat" "$perftest" read_lat -s 8 -n 2000 -m 1024
echo "cross-process runs: all passed"
