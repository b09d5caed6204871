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
Then it captures a real run on the loopback interface: the soft device's
RoCEv2 link tests (`soft/tests/soft/roce.rs`) exchange UD datagrams between
two devices while tshark records port 4791, and scapy must compute the ICRC
every packet of the link carries (the test's one hand-made packet with a
zero ICRC, sent to be dropped, is the only one that may differ).
Needs tshark (Debian: tshark), scapy (PyPI: scapy) and the right to
capture on lo (root, as in CI). Exits 0 when all agree, 1 with each
disagreement printed otherwise.
"""
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


def main():
    from scapy.all import rdpcap
    from scapy.contrib.roce import BTH

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
        for i, pkt in enumerate(rdpcap(pcap), start=1):
            bth = pkt.getlayer(BTH)
            if bth is None:
                problems.append(f"packet {i}: scapy finds no BTH")
                continue
            # scapy reads the ICRC field as the four bytes on the wire and
            # computes it as those bytes.
            carried = bth.icrc.to_bytes(4, "big")
            computed = bth.compute_icrc(None)
            if carried != computed:
                problems.append(f"packet {i}: ICRC {carried.hex()}, scapy computes {computed.hex()}")
        captured = capture_a_run(tmp, problems)
        for p in problems:
            print(p)
        print(f"{len(rows)} packets, {len(fields) + 1} fields each checked against tshark, "
              f"ICRCs against scapy; {captured} packets of a captured run checked against "
              f"scapy: {len(problems)} disagreements")
        return 1 if problems else 0


def capture_a_run(tmp, problems):
    """Captures the link tests on lo and checks every ICRC; returns how many
    of the link's packets were checked."""
    from scapy.all import rdpcap
    from scapy.contrib.roce import BTH

    # Built first, so that the capture window holds only the run.
    run(["cargo", "test", "-q", "--locked", "-p", "ibops-soft", "--test", "soft", "--no-run"])
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
    run(["cargo", "test", "-q", "--locked", "-p", "ibops-soft", "--test", "soft", "roce"])
    time.sleep(1)
    tshark.send_signal(signal.SIGINT)
    tshark.wait(timeout=30)
    checked = 0
    for i, pkt in enumerate(rdpcap(pcap), start=1):
        bth = pkt.getlayer(BTH)
        if bth is None:
            continue
        carried = bth.icrc.to_bytes(4, "big")
        if carried == bytes(4):
            continue  # the test's hand-made packet, sent to be dropped
        checked += 1
        if carried != bth.compute_icrc(None):
            problems.append(f"captured packet {i}: ICRC {carried.hex()}, "
                            f"scapy computes {bth.compute_icrc(None).hex()}")
    if checked < 2:
        problems.append(f"the captured run holds {checked} packets of the link, not at least 2")
    return checked


if __name__ == "__main__":
    sys.exit(main())
