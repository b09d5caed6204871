//! RC across the fault relay ([`relay`](crate::relay)): thousands of work
//! requests per fault mix (SENDs of one to three packets, RDMA WRITEs,
//! READs, fetch-and-adds), every one of which must complete exactly once,
//! in order, successfully, with the right bytes where it landed; the
//! fetch-and-adds must each see a different value (an atomic executed
//! twice would repeat one). A peer behind a relay that drops everything
//! gives `RETRY_EXC_ERR`; a QP reset while its requests are unanswered
//! completes nothing afterwards.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use ibops::prelude::*;
use ibops_soft::{LinkCounters, SoftConfig, roce_counters};

use crate::common::{CAP, Node, drain, node_with, recv, unique_name, wr};
use crate::relay::{Faults, Relay, RelayCounts};
use crate::roce::{addresses, wait_for};

/// Work requests per fault mix.
const WORK: u64 = 2000;
/// Sends, WRITEs, READs and fetch-and-adds in flight at once.
const WINDOW: u64 = 12;
/// The longest a mix may take.
const MIX_DEADLINE: Duration = Duration::from_secs(60);

/// Bytes per slot of a node's buffer: each request in flight has one.
const SLOT: u64 = 4096;
/// Where B keeps what READs fetch, the WRITE targets and the counter.
const READ_AT: u64 = 64 * SLOT;
const WRITE_AT: u64 = 66 * SLOT;
const COUNTER_AT: u64 = 74 * SLOT;

fn device(ip: Ipv4Addr) -> Device {
    let mut config = SoftConfig::new(unique_name("fault"));
    config.roce = Some(SocketAddr::new(IpAddr::V4(ip), 0));
    config.roce_raw_ip = false;
    config.probe().expect("probe")
}

fn rc_node(dev: &Device) -> Node {
    let cap = QpCap {
        max_send_wr: 32,
        max_recv_wr: 32,
        ..CAP
    };
    node_with(dev, QpType::Rc, (76 * SLOT) as usize, cap)
}

fn gid_of(ip: Ipv4Addr) -> Gid {
    Gid(ip.to_ipv6_mapped().octets())
}

/// Two devices whose RC QPs reach each other through a relay with
/// `faults`, and the relay.
struct Harness {
    a: Node,
    b: Node,
    /// A's device and B's.
    devs: [Device; 2],
    relay: Relay,
}

fn harness(faults: Faults, seed: u64, path: &RcPath) -> Harness {
    let (ip_a, ip_b) = addresses();
    let [x, y, z, _] = ip_a.octets();
    let (ra, rb) = (Ipv4Addr::new(x, y, z, 3), Ipv4Addr::new(x, y, z, 4));
    let relay = Relay::start((ip_a, ip_b), (ra, rb), faults, seed);
    let (dev_a, dev_b) = (device(ip_a), device(ip_b));
    let (a, b) = (rc_node(&dev_a), rc_node(&dev_b));
    let end = |n: &Node, psn, via| RcEndpoint {
        lid: 0,
        qpn: n.qp.qp_num(),
        psn,
        gid: gid_of(via),
    };
    // A believes B lives at rb, and B that A lives at ra.
    a.qp.connect_to(0x00ff_ff00, &end(&b, 0x0000_0100, rb), path)
        .expect("connect a");
    b.qp.connect_to(0x0000_0100, &end(&a, 0x00ff_ff00, ra), path)
        .expect("connect b");
    Harness {
        devs: [dev_a, dev_b],
        a,
        b,
        relay,
    }
}

fn path() -> RcPath {
    RcPath {
        mtu: Mtu::Mtu1024,
        access: AccessFlags::LOCAL_WRITE
            | AccessFlags::REMOTE_WRITE
            | AccessFlags::REMOTE_READ
            | AccessFlags::REMOTE_ATOMIC,
        // 4.096 µs × 2^9 ≈ 2 ms.
        timeout: 9,
        retry_cnt: 7,
        rnr_retry: 7,
        min_rnr_timer: 1,
        max_rd_atomic: 4,
        max_dest_rd_atomic: 4,
        ..RcPath::default()
    }
}

/// The bytes SEND or WRITE number `i` carries.
fn message(i: u64) -> Vec<u8> {
    let len = 1 + (i * 977) % 3000;
    (0..len)
        .map(|k| (k as u8) ^ (i as u8).wrapping_mul(13))
        .collect()
}

/// What work request `i` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Send,
    Write,
    Read,
    FetchAdd,
}

fn kind(i: u64) -> Kind {
    [Kind::Send, Kind::Write, Kind::Read, Kind::FetchAdd][(i % 4) as usize]
}

/// What one mix did.
#[derive(Debug)]
struct Report {
    completed: u64,
    received: u64,
    relay: RelayCounts,
    a: LinkCounters,
    b: LinkCounters,
}

/// Runs [`WORK`] requests through a relay with `faults`; panics on any
/// lost, repeated, failed or wrong completion.
fn run_mix(name: &str, faults: Faults, seed: u64) -> Report {
    let h = harness(faults, seed, &path());
    let (a, b) = (&h.a, &h.b);
    let theirs: Vec<u8> = (0..2 * SLOT).map(|k| (k * 7 + 3) as u8).collect();
    b.buf.write(READ_AT as usize, &theirs).expect("w");
    let slot_of = |i: u64| (i % 32) * SLOT;
    for s in 0..32 {
        b.qp.post_recv(&[recv(b, s, s * SLOT, SLOT as u32)])
            .expect("recv");
    }
    let mut next = 0u64; // the next request to post
    let mut done = 0u64; // completions seen, in order
    let mut received = 0u64; // SENDs received, in order
    let mut sends_posted = Vec::new();
    let mut fetched = Vec::new();
    let mut last_write = [None; 8];
    let started = Instant::now();
    while done < WORK || received < WORK / 4 {
        assert!(
            started.elapsed() < MIX_DEADLINE,
            "{name}: {done} of {WORK} completed, {received} received after {MIX_DEADLINE:?}: \
             A {:?}, B {:?}",
            roce_counters(&h.devs[0]),
            roce_counters(&h.devs[1]),
        );
        while next < WORK && next - done < WINDOW {
            let i = next;
            let slot = slot_of(i);
            let wr = match kind(i) {
                Kind::Send | Kind::Write => {
                    let bytes = message(i);
                    a.buf.write(slot as usize, &bytes).expect("w");
                    let op = if kind(i) == Kind::Send {
                        sends_posted.push(i);
                        WrOpcode::Send
                    } else {
                        let target = WRITE_AT + (i / 4 % 8) * 1024;
                        last_write[(i / 4 % 8) as usize] = Some(i);
                        WrOpcode::RdmaWrite {
                            remote_addr: b.mr.addr() + target,
                            rkey: b.mr.rkey(),
                        }
                    };
                    let len = if kind(i) == Kind::Write {
                        bytes.len().min(1024)
                    } else {
                        bytes.len()
                    };
                    wr(a, i, op, slot, len as u32)
                }
                Kind::Read => {
                    let op = WrOpcode::RdmaRead {
                        remote_addr: b.mr.addr() + READ_AT + (i % 5) * 100,
                        rkey: b.mr.rkey(),
                    };
                    wr(a, i, op, slot, 2500)
                }
                Kind::FetchAdd => {
                    let op = WrOpcode::AtomicFetchAndAdd {
                        remote_addr: b.mr.addr() + COUNTER_AT,
                        rkey: b.mr.rkey(),
                        compare_add: 1,
                    };
                    wr(a, i, op, slot, 8)
                }
            };
            a.qp.post_send(&[wr]).expect("post");
            next += 1;
        }
        for c in drain(&a.cq) {
            assert_eq!(
                (c.wr_id, c.status),
                (done, WcStatus::Success),
                "{name}: completion {done} out of order, repeated or failed"
            );
            let slot = slot_of(c.wr_id) as usize;
            match kind(c.wr_id) {
                Kind::Read => {
                    let mut got = vec![0u8; 2500];
                    a.buf.read(slot, &mut got).expect("r");
                    let from = ((c.wr_id % 5) * 100) as usize;
                    assert_eq!(got, theirs[from..from + 2500], "{name}: READ {}", c.wr_id);
                }
                Kind::FetchAdd => {
                    let mut w = [0u8; 8];
                    a.buf.read(slot, &mut w).expect("r");
                    fetched.push(u64::from_ne_bytes(w));
                }
                _ => {}
            }
            done += 1;
        }
        for c in drain(&b.cq) {
            assert_eq!(c.status, WcStatus::Success, "{name}: receive {c:?}");
            let i = sends_posted[received as usize];
            let want = message(i);
            assert_eq!(c.byte_len as usize, want.len(), "{name}: SEND {i}'s length");
            let mut got = vec![0u8; want.len()];
            b.buf.read((c.wr_id * SLOT) as usize, &mut got).expect("r");
            assert_eq!(got, want, "{name}: SEND {i}'s bytes");
            b.qp.post_recv(&[recv(b, c.wr_id, c.wr_id * SLOT, SLOT as u32)])
                .expect("repost");
            received += 1;
        }
        std::thread::yield_now();
    }
    // Exactly once: every fetch-and-add saw a value no other saw.
    fetched.sort_unstable();
    assert_eq!(
        fetched,
        (0..WORK / 4).collect::<Vec<_>>(),
        "{name}: fetch-and-add"
    );
    let mut counter = [0u8; 8];
    b.buf.read(COUNTER_AT as usize, &mut counter).expect("r");
    assert_eq!(u64::from_ne_bytes(counter), WORK / 4, "{name}: the counter");
    for (k, last) in last_write.iter().enumerate() {
        let Some(i) = last else { continue };
        let want = message(*i);
        let len = want.len().min(1024);
        let mut got = vec![0u8; len];
        b.buf
            .read((WRITE_AT as usize) + k * 1024, &mut got)
            .expect("r");
        assert_eq!(got, want[..len], "{name}: WRITE {i}'s bytes");
    }
    // Nothing more arrives.
    std::thread::sleep(Duration::from_millis(20));
    assert!(
        drain(&a.cq).is_empty(),
        "{name}: a completion after the last"
    );
    let counters = |d: &Device| roce_counters(d).expect("soft").expect("link");
    let (ca, cb) = (counters(&h.devs[0]), counters(&h.devs[1]));
    let relay = h.relay.stop();
    Report {
        completed: done,
        received,
        relay,
        a: ca,
        b: cb,
    }
}

fn mix(per_mille: u32, pick: impl FnOnce(&mut Faults, u32)) -> Faults {
    let mut f = Faults {
        max_delay: Duration::from_millis(3),
        ..Faults::default()
    };
    pick(&mut f, per_mille);
    f
}

macro_rules! fault_mixes {
    ($($test:ident: $seed:literal, $faults:expr;)*) => {$(
        #[test]
        fn $test() {
            let report = run_mix(stringify!($test), $faults, $seed);
            assert_eq!(report.completed, WORK);
            assert_eq!(report.received, WORK / 4);
            let (r, a, b) = (report.relay, report.a, report.b);
            println!(
                "{}: {} requests, {} SENDs received; relay forwarded {}, dropped {}, \
                 duplicated {}, reordered {}, delayed {}, corrupted {}; A retransmitted {} \
                 (bad ICRC {}), B answered {} duplicates (bad ICRC {})",
                stringify!($test), report.completed, report.received, r.forwarded, r.dropped,
                r.duplicated, r.reordered, r.delayed, r.corrupted, a.retransmitted, a.bad_icrc,
                b.duplicates, b.bad_icrc,
            );
        }
    )*};
}

fault_mixes! {
    clean_wire: 1, Faults::default();
    drops: 2, mix(50, |f, p| f.drop = p);
    duplicates: 3, mix(50, |f, p| f.duplicate = p);
    reordering: 4, mix(50, |f, p| f.reorder = p);
    delays: 5, mix(50, |f, p| f.delay = p);
    corruption: 6, mix(50, |f, p| f.corrupt = p);
    everything_at_once: 7, mix(20, |f, p| {
        (f.drop, f.duplicate, f.reorder, f.delay, f.corrupt) = (p, p, p, p, p);
    });
}

#[test]
fn a_peer_behind_a_dead_wire_is_a_transport_retry_error() {
    let everything = Faults {
        drop: 1000,
        ..Faults::default()
    };
    let h = harness(everything, 8, &path());
    let (a, b) = (&h.a, &h.b);
    b.qp.post_recv(&[recv(b, 1, 0, 64)]).expect("recv");
    a.qp.post_send(&[
        wr(a, 1, WrOpcode::Send, 0, 8),
        wr(a, 2, WrOpcode::Send, 0, 8),
    ])
    .expect("post");
    let got = wait_for(&a.cq, 2);
    let got: Vec<_> = got.iter().map(|c| (c.wr_id, c.status)).collect();
    assert_eq!(got, [(1, WcStatus::RetryExcErr), (2, WcStatus::WrFlushErr)]);
    let counters = roce_counters(&h.devs[0]).expect("soft").expect("link");
    // Both requests were sent again after each of the 7 timeouts.
    assert_eq!(counters.retransmitted, 14, "{counters:?}");
}

#[test]
fn a_reset_qp_completes_nothing_afterwards() {
    let everything = Faults {
        drop: 1000,
        ..Faults::default()
    };
    let h = harness(everything, 9, &path());
    let (a, b) = (&h.a, &h.b);
    b.qp.post_recv(&[recv(b, 1, 0, 64)]).expect("recv");
    a.qp.post_send(&[wr(a, 1, WrOpcode::Send, 0, 8)])
        .expect("post");
    std::thread::sleep(Duration::from_millis(3));
    a.qp.modify(&QpAttr::to_state(QpState::Reset).0, QpAttrMask::STATE)
        .expect("reset");
    // The wire comes back: the retransmissions and answers that were on
    // their way find a QP that forgot them.
    h.relay.set_faults(Faults::default());
    std::thread::sleep(Duration::from_millis(50));
    assert!(drain(&a.cq).is_empty(), "a completion after RESET");
}
