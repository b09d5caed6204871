#!/usr/bin/env python3
"""Checks ibops-soft's RoCEv2 wire format against someone else's decoders.

Writes a pcap of one packet per RC and UD opcode with
`cargo run --example roce_pcap`, then:
  - Wireshark's dissector (tshark) must decode every packet as InfiniBand
    over UDP 4791 with the opcode, PSN, destination QP, keys, lengths,
    immediate data and payload length the example says it wrote, and flag
    nothing as malformed;
  - scapy's RoCE support must compute, for every packet, the ICRC the
    packet carries.
Then it captures a real run on the loopback interface: `cargo run --example
roce_run` sends every opcode the soft device sends (all RC and UD opcodes
but SEND with invalidate), with an RNR NAK among the ACKs, between two
devices while tshark records port 4791. tshark must decode every captured
packet without a malformed or expert flag, with the QPNs, PSNs, rkey,
Q_Key, DMA lengths and immediates the run reports using, and scapy must
compute the ICRC every packet carries.
Needs tshark (Debian: tshark), scapy (PyPI: scapy) and the right to
capture on lo (root, as in CI). Exits 0 when all agree, 1 with each
disagreement printed otherwise.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, **kw).stdout


# Fields tshark prints as bytes (hex digits, maybe colon-separated).
BYTE_FIELDS = {"infiniband.immdt", "infiniband.ieth"}


def number_of(text, name):
    """The number tshark printed for a field, or None when it printed none."""
    if not text:
        return None
    if name in BYTE_FIELDS:
        return int(text.replace(":", ""), 16)
    return int(text, 0)


def check_icrcs(pcap, what, problems):
    """Has scapy compute the ICRC of every packet of `pcap`; each that
    differs from the carried one (or has no BTH) is a problem."""
    from scapy.all import rdpcap
    from scapy.contrib.roce import BTH

    for i, pkt in enumerate(rdpcap(pcap), start=1):
        bth = pkt.getlayer(BTH)
        if bth is None:
            problems.append(f"{what} {i}: scapy finds no BTH")
            continue
        # scapy reads the ICRC field as the four bytes on the wire and
        # computes it as those bytes.
        carried = bth.icrc.to_bytes(4, "big")
        computed = bth.compute_icrc(None)
        if carried != computed:
            problems.append(f"{what} {i}: ICRC {carried.hex()}, scapy computes {computed.hex()}")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        pcap = os.path.join(tmp, "roce.pcap")
        expected = run(["cargo", "run", "-q", "--locked", "--example", "roce_pcap", "--", pcap])
        rows = [dict(f.split("=", 1) for f in line.split("\t")) for line in expected.splitlines()]
        problems = []
        fields = sorted({k for row in rows for k in row if k != "payload"})
        out = run(["tshark", "-r", pcap, "-T", "fields", "-E", "separator=\t",
                   "-e", "frame.number", "-e", "_ws.malformed", "-e", "_ws.expert",
                   "-e", "data.len", "-e", "infiniband.bth.padcnt",
                   *[f"-e{f}" for f in fields]])
        decoded = [line.split("\t") for line in out.splitlines()]
        if len(decoded) != len(rows):
            problems.append(f"tshark decoded {len(decoded)} packets, {len(rows)} were written")
        for row, got in zip(rows, decoded):
            number, malformed, expert, data_len, pad = got[:5]
            values = dict(zip(fields, got[5:]))
            if malformed or expert:
                problems.append(f"packet {number}: tshark flags it: {malformed or expert}")
            for name, want in row.items():
                if name == "payload":
                    # Wireshark's Data holds the payload and its pad.
                    have = int(data_len or 0) - int(pad or 0)
                else:
                    # A field the dissector shows twice is listed twice.
                    have = number_of(values.get(name, "").split(",")[0], name)
                if have != int(want):
                    problems.append(f"packet {number}: {name} is {have}, {want} was written")
        check_icrcs(pcap, "packet", problems)
        captured = capture_a_run(tmp, problems)
        for p in problems:
            print(p)
        print(f"{len(rows)} packets, {len(fields) + 1} fields each checked against tshark, "
              f"ICRCs against scapy; {captured} packets of a captured run checked against "
              f"scapy: {len(problems)} disagreements")
        return 1 if problems else 0


# Every opcode the soft device sends: all of RC and UD but SEND with
# invalidate (0x16, 0x17; it has no memory windows).
RUN_OPCODES = set(range(0x00, 0x15)) | {0x64, 0x65}


def capture_a_run(tmp, problems):
    """Captures `cargo run --example roce_run` on lo: every opcode the
    device sends, over its link between two devices. tshark must decode
    every packet without a flag, with the opcodes, QPNs, PSNs, keys,
    lengths and immediates the run used; scapy must compute every ICRC.
    Returns how many packets were checked."""
    # Built first, so that the capture window holds only the run.
    run(["cargo", "build", "-q", "--locked", "--example", "roce_run"])
    pcap = os.path.join(tmp, "run.pcap")
    tshark = subprocess.Popen(["tshark", "-i", "lo", "-f", "udp port 4791", "-w", pcap],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    started = ""
    while "Capture started" not in started and "Capturing on" not in started:
        line = tshark.stderr.readline()
        if not line:
            problems.append("tshark could not capture on lo")
            return 0
        started += line
    time.sleep(1)
    used = json.loads(run(["cargo", "run", "-q", "--locked", "--example", "roce_run"]))
    time.sleep(1)
    tshark.send_signal(signal.SIGINT)
    tshark.wait(timeout=30)
    names = ["frame.number", "_ws.malformed", "_ws.expert", "infiniband.bth.opcode",
             "infiniband.bth.destqp", "infiniband.bth.psn", "infiniband.reth.r_key",
             "infiniband.reth.dmalen", "infiniband.deth.q_key", "infiniband.immdt",
             "infiniband.aeth.syndrome"]
    out = run(["tshark", "-r", pcap, "-T", "fields", "-E", "separator=\t",
               *[f"-e{n}" for n in names]])
    first_psn = used["psns"][0]
    seen = set()
    rnr_naks = 0
    checked = 0
    for line in out.splitlines():
        row = dict(zip(names, line.split("\t")))
        number = row["frame.number"]
        checked += 1
        if row["_ws.malformed"] or row["_ws.expert"]:
            problems.append(f"captured packet {number}: tshark flags it")
        if not row["infiniband.bth.opcode"]:
            problems.append(f"captured packet {number}: tshark finds no BTH")
            continue
        opcode = int(row["infiniband.bth.opcode"], 0)
        seen.add(opcode)
        value = lambda n: number_of(row.get(n, "").split(",")[0], n)
        if value("infiniband.bth.destqp") not in used["qpns"]:
            problems.append(f"captured packet {number}: destination QP not the run's")
        psn = value("infiniband.bth.psn")
        if opcode < 0x64 and not 0 <= (psn - first_psn) % (1 << 24) < 64:
            problems.append(f"captured packet {number}: PSN {psn} outside the run's")
        for field, allowed in [("infiniband.reth.r_key", [used["rkey"]]),
                               ("infiniband.reth.dmalen", used["lengths"]),
                               ("infiniband.deth.q_key", [used["qkey"]]),
                               ("infiniband.immdt", used["imms"])]:
            have = value(field)
            if have is not None and have not in allowed:
                problems.append(f"captured packet {number}: {field} {have} not the run's")
        syndrome = value("infiniband.aeth.syndrome")
        if syndrome is not None and syndrome >> 5 == 1:
            rnr_naks += 1
    missing = RUN_OPCODES - seen
    if missing:
        problems.append(f"the captured run lacks opcodes {sorted(hex(m) for m in missing)}")
    if rnr_naks == 0:
        problems.append("the captured run holds no RNR NAK")
    check_icrcs(pcap, "captured packet", problems)
    print(f"captured run: {checked} packets, {len(seen)} opcodes, {rnr_naks} RNR NAKs")
    return checked


if __name__ == "__main__":
    sys.exit(main())
