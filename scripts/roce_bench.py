"""The RoCEv2 part of BENCHMARKS.md (imported by scripts/benchmarks.py).

Two processes on loopback, each its own soft device on its own address
(127.0.0.2 and 127.0.0.3), against the raw UDP yardsticks of
`ibops-perftest` between the same two addresses, interleaved: in each of
five rounds, the RoCEv2 test and then its yardstick. The yardsticks carry
datagrams of the same size as the RoCEv2 packets, one `sendto` per
datagram as the link sends, and an ACK per message:

- 8 B SEND message rate (`send_bw -s 8`: one 24-byte packet and one ACK
  per message) vs `udp_bw -s 24 --burst 1`;
- 64 KiB RDMA WRITE bandwidth at MTU 4096 (`write_bw -s 65536 -m 4096`:
  16 packets of 4112 to 4128 bytes and one ACK per message) vs `udp_bw -s
  4112 --burst 16` (its bandwidth counts whole datagrams, headers too: the
  yardstick is slightly favoured);
- 8 B send latency (`send_lat -s 8`, half a round trip) vs `udp_lat -s 24`.

Run alone, it prints the section: `python3 scripts/roce_bench.py`.
"""

import json
import statistics
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERFTEST = ROOT / "target" / "release" / "ibops-perftest"
RUNS = 5

# (name, RoCEv2 test, its yardstick, the JSON key compared, higher is better)
PAIRS = [
    ("rate", ["send_bw", "-s", "8", "-n", "200000"],
     ["udp_bw", "-s", "24", "--burst", "1", "-n", "200000"], "msg_rate_mpps", True),
    ("bandwidth", ["write_bw", "-s", "65536", "-m", "4096", "-n", "5000"],
     ["udp_bw", "-s", "4112", "--burst", "16", "-n", "80000"], "bw_avg_mib", True),
    ("latency", ["send_lat", "-s", "8", "-n", "10000"],
     ["udp_lat", "-s", "24", "-n", "10000"], "t_typical_usec", False),
]


def pair(args, port):
    """Runs `args` as a server and a client on loopback; the client's JSON."""
    common = [str(PERFTEST), *args, "--json", "-p", str(port)]
    server = subprocess.Popen([*common, "--roce-addr", "127.0.0.2"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    client = subprocess.run([*common, "--roce-addr", "127.0.0.3", "127.0.0.1"],
                            capture_output=True, text=True, timeout=120)
    server_err = server.communicate(timeout=120)[1]
    if client.returncode != 0 or server.returncode != 0:
        raise SystemExit(f"failed: {' '.join(args)}: {client.stderr}{server_err}")
    return next(json.loads(l) for l in client.stdout.splitlines() if l.startswith("{"))


def measure():
    """Every pair, RUNS rounds, interleaved; the figures of each round."""
    subprocess.run(["cargo", "build", "--release", "-p", "ibops-perftest"], cwd=ROOT, check=True)
    results = {name: [] for name, *_ in PAIRS}
    port = 19000
    for _ in range(RUNS):
        for name, roce, udp, key, _higher in PAIRS:
            port += 2
            ours = pair(roce, port)[key]
            theirs = pair(udp, port + 1)[key]
            results[name].append((ours, theirs))
    return results


def rows(results, verdict):
    """The target rows of the table in BENCHMARKS.md."""
    out = []
    for name, what, target, ok in [
        ("rate", "RoCEv2 8 B SEND message rate, two processes, vs raw UDP (same datagrams, same batching)", "≥ 0.5", lambda r: r >= 0.5),
        ("bandwidth", "RoCEv2 64 KiB RDMA WRITE bandwidth at MTU 4096 vs raw UDP of the same datagrams", "≥ 0.5", lambda r: r >= 0.5),
        ("latency", "RoCEv2 8 B send latency (t_typical) vs a raw UDP ping-pong", "≤ 2×", lambda r: r <= 2),
    ]:
        ratios = [ours / theirs for ours, theirs in results[name]]
        med = statistics.median(ratios)
        unit = "×" if name == "latency" else ""
        out.append(f"| {what} | {target} | {med:.2f}{unit} ({', '.join(f'{r:.2f}' for r in ratios)}) | {verdict(ok(med))} |")
    return out


def section(results):
    """The section on the RoCEv2 link."""
    def figures(name, i, fmt):
        return ", ".join(fmt.format(pair[i]) for pair in results[name])

    return [
        "## RoCEv2 between two processes (ibops-perftest over the soft device's link)",
        "",
        "Server and client on loopback, each soft device on its own address; each RoCEv2",
        "run followed by its raw UDP yardstick between the same addresses (`udp_bw`,",
        "`udp_lat`: datagrams of the RoCEv2 packets' sizes, one `sendto` each, an ACK per",
        "message), five rounds (`scripts/roce_bench.py`). Every value, run by run:",
        "",
        f"- 8 B SEND: RoCEv2 {figures('rate', 0, '{:.4f}')} Mpps; UDP {figures('rate', 1, '{:.4f}')} Mpps.",
        f"- 64 KiB WRITE, MTU 4096: RoCEv2 {figures('bandwidth', 0, '{:.0f}')} MiB/s; UDP {figures('bandwidth', 1, '{:.0f}')} MiB/s.",
        f"- 8 B send latency, t_typical: RoCEv2 {figures('latency', 0, '{:.2f}')} µs; UDP {figures('latency', 1, '{:.2f}')} µs.",
        "",
        "### What bounds the RoCEv2 link",
        "",
        "Each packet costs the link what it costs the yardstick (one `sendto`, one read),",
        "plus: the packet encoded with its ICRC and the IPv4 and UDP headers written by the",
        "link (a raw socket, so that the ICRC covers the real IP identification), and on",
        "arrival the ICRC checked and the packet parsed; the message gathered once at post",
        "time (kept for retransmission) and reassembled at the responder before it lands.",
        "The largest cost on this 2-core machine is scheduling: each process has a polling",
        "application thread and the link's receive thread, four threads on two cores, and a",
        "completion needs the receive thread to run (the first cross-process runs, with",
        "pollers that spun without yielding, reached 0.025 Mpps; pollers that give way when",
        "idle and ACKs coalesced per batch of arrived packets brought the rate near the",
        "yardstick's). Latency stays several times the yardstick's: a message's half round",
        "trip crosses two threads per side (the application's and the receive thread's),",
        "where the yardstick's crosses one, and a SEND completes only on its ACK. The",
        "WRITE bandwidth is bound by the copies (gathered at post time, encoded, reassembled",
        "into a message, landed) and the per-packet work beside `sendto`; `sendmmsg`,",
        "`recvmmsg` and landing each packet in place would close more of it (not done:",
        "`std` has no batched socket calls, and the crate takes no `unsafe`).",
        "",
    ]


if __name__ == "__main__":
    res = measure()
    print("\n".join(rows(res, lambda ok: "**met**" if ok else "**not met**")))
    print("\n".join(section(res)))
