//! Writes a pcap of one RoCEv2 packet per RC and UD opcode, framed in
//! Ethernet, IPv4 and UDP as they leave a host, and prints what each
//! carries (one line per packet, tab-separated: opcode, PSN, destination
//! QP, then `name=value` for every extension header field and the payload
//! length), so that `scripts/roce_check.py` can compare another decoder's
//! reading (Wireshark's, through tshark) and ICRC (scapy's) with ours.
//!
//! ```sh
//! cargo run --example roce_pcap -- out.pcap > expected.tsv
//! ```

use std::fs;
use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;

use ibops_soft::roce::{
    Aeth, AtomicAckEth, AtomicEth, Bth, Deth, IpPseudo, Opcode, Packet, Reth, UDP_PORT, ipv4_udp,
};

const SRC: Ipv4Addr = Ipv4Addr::new(192, 168, 7, 1);
const DST: Ipv4Addr = Ipv4Addr::new(192, 168, 7, 2);
const SRC_PORT: u16 = 49152;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: roce_pcap OUT.pcap");
        return ExitCode::from(2);
    };
    let ip = IpPseudo {
        src: IpAddr::V4(SRC),
        dst: IpAddr::V4(DST),
        src_port: SRC_PORT,
        dst_port: UDP_PORT,
        ipv4_id: 0,
    };
    let mut pcap = pcap_header();
    for (i, &op) in Opcode::ALL.iter().enumerate() {
        let n = i as u32;
        let payload: Vec<u8> = (0..(3 + n as usize * 5)).map(|b| b as u8).collect();
        let mut p = Packet::new(Bth {
            opcode: op,
            solicited: n % 2 == 1,
            mig_req: true,
            pad: 0,
            pkey: 0xffff,
            dest_qp: 0x11 + n,
            ack_req: n.is_multiple_of(3),
            psn: (0x00ff_fff0 + n) & 0x00ff_ffff,
        });
        p.payload = &payload;
        p.reth = Some(Reth {
            va: 0x7f00_0000_1000 + u64::from(n),
            rkey: 0x100 + n,
            dma_len: 4096 + n,
        });
        p.aeth = Some(Aeth {
            syndrome: 0x1f,
            msn: 0x10 + n,
        });
        p.atomic_eth = Some(AtomicEth {
            va: 0x7f00_0000_2000,
            rkey: 0x200 + n,
            swap_add: 5 + u64::from(n),
            compare: 7,
        });
        p.atomic_ack_eth = Some(AtomicAckEth {
            orig: 0x1234 + u64::from(n),
        });
        p.deth = Some(Deth {
            qkey: 0x1111_1111,
            src_qp: 0x40 + n,
        });
        p.imm = Some(0xdead_0000 + n);
        p.ieth = Some(0x300 + n);
        let mut roce = Vec::new();
        p.encode(&ip, &mut roce);
        frame(&mut pcap, n, &roce);
        println!("{}", describe(&p));
    }
    match fs::write(&path, pcap) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("roce_pcap: {path}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What the packet carries, as tshark's field names will show it.
fn describe(p: &Packet<'_>) -> String {
    let layout = p.bth.opcode.layout();
    let mut fields = vec![
        format!("infiniband.bth.opcode={}", p.bth.opcode as u8),
        format!("infiniband.bth.psn={}", p.bth.psn),
        format!("infiniband.bth.destqp={}", p.bth.dest_qp),
    ];
    let mut add = |present: bool, name: &str, value: u64| {
        if present {
            fields.push(format!("{name}={value}"));
        }
    };
    let (reth, atomic) = (p.reth.unwrap_or_default(), p.atomic_eth.unwrap_or_default());
    add(layout.reth, "infiniband.reth.r_key", reth.rkey.into());
    add(layout.reth, "infiniband.reth.dmalen", reth.dma_len.into());
    add(
        layout.atomic_eth,
        "infiniband.atomiceth.swapdt",
        atomic.swap_add,
    );
    add(
        layout.aeth,
        "infiniband.aeth.msn",
        p.aeth.unwrap_or_default().msn.into(),
    );
    add(
        layout.atomic_ack_eth,
        "infiniband.atomicacketh.origremdt",
        p.atomic_ack_eth.unwrap_or_default().orig,
    );
    add(
        layout.deth,
        "infiniband.deth.q_key",
        p.deth.unwrap_or_default().qkey.into(),
    );
    add(
        layout.deth,
        "infiniband.deth.srcqp",
        p.deth.unwrap_or_default().src_qp.into(),
    );
    add(
        layout.imm,
        "infiniband.immdt",
        p.imm.unwrap_or_default().into(),
    );
    add(
        layout.ieth,
        "infiniband.ieth",
        p.ieth.unwrap_or_default().into(),
    );
    let payload = if layout.payload { p.payload.len() } else { 0 };
    fields.push(format!("payload={payload}"));
    fields.join("\t")
}

/// The pcap file header: microsecond timestamps, Ethernet frames.
fn pcap_header() -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out
}

/// One record: Ethernet, IPv4 (identification 0, DF: the header the ICRC
/// was computed for), UDP to port 4791, then `roce`.
fn frame(out: &mut Vec<u8>, n: u32, roce: &[u8]) {
    let mut headers = ipv4_udp(SRC, DST, 0, (SRC_PORT, UDP_PORT), roce.len());
    // The IP checksum, which a capture carries (no UDP checksum: IPv4
    // allows none).
    let sum = headers[..20]
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum::<u32>();
    let folded = (sum & 0xffff) + (sum >> 16);
    let checksum = !(((folded & 0xffff) + (folded >> 16)) as u16);
    headers[10..12].copy_from_slice(&checksum.to_be_bytes());
    let mut f = Vec::with_capacity(14 + headers.len() + roce.len());
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
    f.extend_from_slice(&headers);
    f.extend_from_slice(roce);
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(f.len() as u32).to_le_bytes());
    out.extend_from_slice(&(f.len() as u32).to_le_bytes());
    out.extend_from_slice(&f);
}
