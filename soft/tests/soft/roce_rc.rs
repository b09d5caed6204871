//! RC over the RoCEv2 link: two soft devices on their own loopback
//! addresses, a QP on each connected across the link (an address vector
//! with a GRH to the peer's GID). Every operation crosses as packets, cut
//! at the path MTU, from the PSNs `modify_qp` gave; an RNR NAK waits,
//! a bad rkey is a remote access error, a peer that is gone a transport
//! retry error.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use ibops::prelude::*;
use ibops_soft::{SoftConfig, roce_counters};

use crate::common::{Node, drain, node, recv, unique_name, wr};
use crate::roce::{addresses, eventually, wait_for};

/// A soft device on the link at `ip`, with an RC node of `len` bytes.
fn rc_node(ip: Ipv4Addr, len: usize) -> (Device, Node) {
    let mut config = SoftConfig::new(unique_name("roce-rc"));
    config.roce = Some(SocketAddr::new(IpAddr::V4(ip), 0));
    let dev = config.probe().expect("probe with a link");
    let n = node(&dev, QpType::Rc, len);
    (dev, n)
}

/// `node`'s end, sending from `psn`.
fn endpoint(dev: &Device, node: &Node, psn: u32) -> RcEndpoint {
    RcEndpoint {
        lid: 0,
        qpn: node.qp.qp_num(),
        psn,
        gid: dev.query_gid(1, 0).expect("gid"),
    }
}

/// Two RC nodes on two devices, connected across the link with `path`;
/// A sends from `psn_a`, B from `psn_b`.
fn pair(path: &RcPath, psn_a: u32, psn_b: u32) -> ((Device, Node), (Device, Node)) {
    let (ip_a, ip_b) = addresses();
    let (dev_a, a) = rc_node(ip_a, 1 << 17);
    let (dev_b, b) = rc_node(ip_b, 1 << 17);
    let (end_a, end_b) = (endpoint(&dev_a, &a, psn_a), endpoint(&dev_b, &b, psn_b));
    a.qp.connect_to(psn_a, &end_b, path).expect("connect a");
    b.qp.connect_to(psn_b, &end_a, path).expect("connect b");
    ((dev_a, a), (dev_b, b))
}

fn path(mtu: Mtu) -> RcPath {
    RcPath {
        mtu,
        access: AccessFlags::LOCAL_WRITE
            | AccessFlags::REMOTE_WRITE
            | AccessFlags::REMOTE_READ
            | AccessFlags::REMOTE_ATOMIC,
        max_rd_atomic: 4,
        max_dest_rd_atomic: 4,
        ..RcPath::default()
    }
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn statuses(wcs: &[WorkCompletion]) -> Vec<(u64, WcStatus)> {
    wcs.iter().map(|c| (c.wr_id, c.status)).collect()
}

#[test]
fn every_operation_crosses_the_link_in_packets_at_the_path_mtu() {
    // PSNs near the wrap: the messages' packets cross 0xffffff.
    let ((_da, a), (dev_b, b)) = pair(&path(Mtu::Mtu1024), 0x00ff_fffd, 0x00ff_fff0);
    let big = pattern(5000, 1);
    a.buf.write(0, &big).expect("w");
    b.qp.post_recv(&[
        recv(&b, 100, 0, 8192),
        recv(&b, 101, 8192, 64),
        recv(&b, 102, 16384, 64),
    ])
    .expect("recv");
    let send = wr(&a, 1, WrOpcode::Send, 0, 5000);
    let send_imm = wr(&a, 2, WrOpcode::SendWithImm { imm_data: 0xfeed }, 0, 16);
    let write = wr(&a, 3, crate::common::rdma_write(&b, 32768), 0, 5000);
    let write_imm = wr(
        &a,
        4,
        WrOpcode::RdmaWriteWithImm {
            remote_addr: b.mr.addr() + 40960,
            rkey: b.mr.rkey(),
            imm_data: 7,
        },
        0,
        3000,
    );
    a.qp.post_send(&[send, send_imm, write, write_imm])
        .expect("post");
    let sent = wait_for(&a.cq, 4);
    assert_eq!(
        statuses(&sent),
        [1, 2, 3, 4].map(|id| (id, WcStatus::Success)),
        "counters {:?}",
        roce_counters(&dev_b)
    );
    let got = wait_for(&b.cq, 3);
    let summary: Vec<_> = got
        .iter()
        .map(|c| (c.wr_id, c.status, c.opcode, c.byte_len))
        .collect();
    assert_eq!(
        summary,
        [
            (100, WcStatus::Success, WcOpcode::Recv, 5000),
            (101, WcStatus::Success, WcOpcode::Recv, 16),
            (102, WcStatus::Success, WcOpcode::RecvRdmaWithImm, 3000),
        ]
    );
    assert_eq!((got[1].imm_data, got[2].imm_data), (0xfeed, 7));
    assert_eq!(got[0].src_qp, a.qp.qp_num());
    let mut landed = vec![0u8; 5000];
    b.buf.read(0, &mut landed).expect("r");
    assert_eq!(landed, big, "the SEND");
    b.buf.read(32768, &mut landed).expect("r");
    assert_eq!(landed, big, "the WRITE");
    let mut part = vec![0u8; 3000];
    b.buf.read(40960, &mut part).expect("r");
    assert_eq!(part, big[..3000], "the WRITE with immediate");

    // READ, compare-and-swap, fetch-and-add.
    let theirs = pattern(7000, 9);
    b.buf.write(65536, &theirs).expect("w");
    b.buf.write(80000, &41u64.to_ne_bytes()).expect("w");
    b.buf.write(80008, &5u64.to_ne_bytes()).expect("w");
    let read = wr(&a, 5, crate::common::rdma_read(&b, 65536), 16384, 7000);
    let cas = wr(
        &a,
        6,
        WrOpcode::AtomicCmpAndSwp {
            remote_addr: b.mr.addr() + 80000,
            rkey: b.mr.rkey(),
            compare_add: 41,
            swap: 42,
        },
        24576,
        8,
    );
    let faa = wr(
        &a,
        7,
        WrOpcode::AtomicFetchAndAdd {
            remote_addr: b.mr.addr() + 80008,
            rkey: b.mr.rkey(),
            compare_add: 10,
        },
        24584,
        8,
    );
    a.qp.post_send(&[read, cas, faa]).expect("post");
    let done = wait_for(&a.cq, 3);
    assert_eq!(statuses(&done), [5, 6, 7].map(|id| (id, WcStatus::Success)));
    assert_eq!(
        done.iter().map(|c| c.opcode).collect::<Vec<_>>(),
        [WcOpcode::RdmaRead, WcOpcode::CompSwap, WcOpcode::FetchAdd]
    );
    let mut read_back = vec![0u8; 7000];
    a.buf.read(16384, &mut read_back).expect("r");
    assert_eq!(read_back, theirs, "the READ");
    let word = |buf: &Buffer, at: usize| {
        let mut w = [0u8; 8];
        buf.read(at, &mut w).expect("r");
        u64::from_ne_bytes(w)
    };
    assert_eq!((word(&a.buf, 24576), word(&b.buf, 80000)), (41, 42));
    assert_eq!((word(&a.buf, 24584), word(&b.buf, 80008)), (5, 15));
    let counters = roce_counters(&dev_b).expect("soft").expect("link");
    assert_eq!(
        (counters.bad_icrc, counters.dropped),
        (0, 0),
        "{counters:?}"
    );
}

#[test]
fn a_send_without_a_receive_waits_for_one_after_rnr_naks() {
    let ((_da, a), (_db, b)) = pair(&path(Mtu::Mtu256), 10, 20);
    a.qp.post_send(&[wr(&a, 1, WrOpcode::Send, 0, 600)])
        .expect("post");
    std::thread::sleep(Duration::from_millis(30));
    assert!(drain(&a.cq).is_empty(), "it waits (rnr_retry 7)");
    b.qp.post_recv(&[recv(&b, 9, 0, 1024)]).expect("recv");
    let sent = wait_for(&a.cq, 1);
    assert_eq!(statuses(&sent), [(1, WcStatus::Success)]);
    assert_eq!(statuses(&wait_for(&b.cq, 1)), [(9, WcStatus::Success)]);
}

#[test]
fn rnr_retries_run_out() {
    let p = RcPath {
        rnr_retry: 2,
        min_rnr_timer: 1,
        ..path(Mtu::Mtu1024)
    };
    let ((_da, a), (_db, _b)) = pair(&p, 0, 0);
    a.qp.post_send(&[
        wr(&a, 1, WrOpcode::Send, 0, 8),
        wr(&a, 2, WrOpcode::Send, 0, 8),
    ])
    .expect("post");
    let got = wait_for(&a.cq, 2);
    assert_eq!(
        statuses(&got),
        [(1, WcStatus::RnrRetryExcErr), (2, WcStatus::WrFlushErr)]
    );
    assert_eq!(
        a.qp.query(QpAttrMask::STATE).expect("q").attr.qp_state,
        QpState::Err
    );
}

#[test]
fn a_bad_rkey_is_a_remote_access_error_and_nothing_lands() {
    let ((_da, a), (_db, b)) = pair(&path(Mtu::Mtu1024), 0, 0);
    a.buf.write(0, &[0xaa; 64]).expect("w");
    let bad = WrOpcode::RdmaWrite {
        remote_addr: b.mr.addr() + (1 << 17) - 8,
        rkey: b.mr.rkey(),
    };
    let out_of_bounds = wr(&a, 1, bad, 0, 64);
    let after = wr(&a, 2, crate::common::rdma_write(&b, 0), 0, 64);
    a.qp.post_send(&[out_of_bounds, after]).expect("post");
    let got = wait_for(&a.cq, 2);
    assert_eq!(
        statuses(&got),
        [(1, WcStatus::RemAccessErr), (2, WcStatus::WrFlushErr)]
    );
    let mut tail = [0u8; 8];
    b.buf.read((1 << 17) - 8, &mut tail).expect("r");
    assert_eq!(tail, [0; 8]);
}

#[test]
fn a_peer_that_is_gone_is_a_transport_retry_error() {
    let p = RcPath {
        timeout: 8,
        retry_cnt: 2,
        ..path(Mtu::Mtu1024)
    };
    let ((dev_a, a), (dev_b, b)) = pair(&p, 0, 0);
    drop(b);
    drop(dev_b);
    a.qp.post_send(&[wr(&a, 1, WrOpcode::Send, 0, 8)])
        .expect("post");
    let got = eventually(|| drain(&a.cq), |got| !got.is_empty());
    assert_eq!(statuses(&got), [(1, WcStatus::RetryExcErr)]);
    let counters = roce_counters(&dev_a).expect("soft").expect("link");
    assert_eq!(
        counters.retransmitted, 2,
        "retry_cnt sends again: {counters:?}"
    );
}

#[test]
fn a_read_request_beyond_the_region_is_refused() {
    use ibops_soft::inject_packet;
    use ibops_soft::roce::{Bth, IpPseudo, Opcode, Packet, Reth};
    // Found by fuzz/fuzz_targets/roce_responder.rs (libFuzzer's RSS
    // limit): a 2 GiB READ made the responder allocate 2 GiB before it
    // checked the region. The fuzz target guards the allocation; this test
    // the answer.
    let ((_da, a), (dev_b, b)) = pair(&path(Mtu::Mtu1024), 0, 0);
    let mut packet = Packet::new(Bth {
        opcode: Opcode::RcReadRequest,
        solicited: false,
        mig_req: true,
        pad: 0,
        pkey: 0xffff,
        dest_qp: b.qp.qp_num(),
        ack_req: true,
        psn: 0,
    });
    packet.reth = Some(Reth {
        va: b.mr.addr(),
        rkey: b.mr.rkey(),
        dma_len: 0x8000_0000,
    });
    let ip = IpPseudo {
        src: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        dst: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        src_port: 0,
        dst_port: 0,
        ipv4_id: 0,
    };
    let mut bytes = Vec::new();
    packet.encode(&ip, &mut bytes);
    bytes.truncate(bytes.len() - 4);
    let gid = _da.query_gid(1, 0).expect("gid");
    let from = SocketAddr::new(std::net::Ipv6Addr::from(gid.0).to_canonical(), 4791);
    assert_eq!(inject_packet(&dev_b, from, &bytes).ok(), Some(true));
    // The responder NAKed it (remote access): nothing of B's changed, and
    // A's QP, which never asked, ignores the stray NAK.
    assert!(drain(&a.cq).is_empty());
    assert!(drain(&b.cq).is_empty());
}
