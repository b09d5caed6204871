//! UD over the RoCEv2 link: two soft devices, each bound to its own
//! loopback address, exchange datagrams as UDP packets to port 4791; what
//! arrives carries the sender's IP header in its GRH area; a wrong Q_Key
//! and a bad ICRC are dropped and counted.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use ibops::prelude::*;
use ibops_soft::{LinkCounters, SoftConfig, roce_counters};

use crate::common::{Node, drain, node, recv, unique_name, wr};

const QKEY: u32 = 0x0bad_cafe;

/// A fresh pair of loopback addresses for one test (tests run at once):
/// 127.77.N.1 and 127.77.N.2, both on port 4791.
pub(crate) fn addresses() -> (Ipv4Addr, Ipv4Addr) {
    static NEXT: AtomicU8 = AtomicU8::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    (Ipv4Addr::new(127, 77, n, 1), Ipv4Addr::new(127, 77, n, 2))
}

/// A soft device on the RoCEv2 link at `ip`, with a UD node ready.
fn roce_node(ip: Ipv4Addr) -> (Device, Node) {
    let mut config = SoftConfig::new(unique_name("roce"));
    config.roce = Some(SocketAddr::new(IpAddr::V4(ip), 0));
    let dev = config.probe().expect("probe with a link");
    let n = node(&dev, QpType::Ud, 8192);
    n.qp.activate_ud(QKEY).expect("ud");
    (dev, n)
}

/// An address handle to `to`'s port GID.
fn ah_to(from: &Node, to: &Device) -> Arc<Ah> {
    from.pd
        .create_ah(&AhAttr {
            port_num: 1,
            grh: Some(GlobalRoute {
                dgid: to.query_gid(1, 0).expect("gid"),
                ..GlobalRoute::default()
            }),
            ..AhAttr::default()
        })
        .expect("ah")
}

/// Calls `probe` every 2 ms until `done` holds of what it returns, for at
/// most 2 s; its last value.
pub(crate) fn eventually<T>(mut probe: impl FnMut() -> T, done: impl Fn(&T) -> bool) -> T {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let value = probe();
        if done(&value) || Instant::now() >= deadline {
            return value;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The completions of `cq` once there are `count`, waiting at most 2 s.
pub(crate) fn wait_for(cq: &Cq, count: usize) -> Vec<WorkCompletion> {
    let mut got = Vec::new();
    eventually(
        || {
            got.extend(drain(cq));
            got.clone()
        },
        |got| got.len() >= count,
    )
}

/// `device`'s link counters once `until` holds of them, waiting at most 2 s.
pub(crate) fn counters_until(
    device: &Device,
    until: impl Fn(&LinkCounters) -> bool,
) -> LinkCounters {
    eventually(
        || roce_counters(device).expect("soft").expect("a link"),
        until,
    )
}

#[test]
fn the_port_gid_is_the_address_ipv4_mapped() {
    let (ip, _) = addresses();
    let (dev, _) = roce_node(ip);
    let gid = dev.query_gid(1, 0).expect("gid");
    assert_eq!(gid.0, ip.to_ipv6_mapped().octets());
    assert_eq!(
        roce_counters(&dev).expect("soft"),
        Some(LinkCounters::default())
    );
}

#[test]
fn a_datagram_crosses_the_link_with_the_senders_ip_header() {
    let (ip_a, ip_b) = addresses();
    let ((_dev_a, a), (dev_b, b)) = (roce_node(ip_a), roce_node(ip_b));
    let ah = ah_to(&a, &dev_b);
    a.buf.write(0, b"over udp").expect("w");
    b.qp.post_recv(&[recv(&b, 1, 0, 256)]).expect("recv");
    let op = WrOpcode::UdSend {
        ah: Arc::clone(&ah),
        remote_qpn: b.qp.qp_num(),
        remote_qkey: QKEY,
        imm_data: Some(0x5eed),
    };
    a.qp.post_send(&[wr(&a, 2, op, 0, 8)]).expect("send");
    let sent = wait_for(&a.cq, 1);
    assert_eq!(sent.first().map(|c| c.status), Some(WcStatus::Success));
    let got = wait_for(&b.cq, 1);
    assert_eq!(
        got.len(),
        1,
        "no datagram arrived: {:?}",
        roce_counters(&dev_b)
    );
    let r = got[0];
    assert_eq!(
        (r.status, r.byte_len, r.src_qp, r.imm_data),
        (WcStatus::Success, 48, a.qp.qp_num(), 0x5eed)
    );
    assert!(r.wc_flags.contains(WcFlags::GRH | WcFlags::WITH_IMM));
    let mut grh = [0u8; 48];
    b.buf.read(0, &mut grh).expect("r");
    // The IPv4 header in the GRH area's last 20 bytes: version and length,
    // UDP, the sender's and the receiver's addresses.
    assert_eq!(grh[20], 0x45);
    assert_eq!(grh[29], 17);
    assert_eq!(&grh[32..36], &ip_a.octets());
    assert_eq!(&grh[36..40], &ip_b.octets());
    assert_eq!(&grh[40..], b"over udp");
}

#[test]
fn a_wrong_qkey_and_a_bad_icrc_are_dropped_and_counted() {
    let (ip_a, ip_b) = addresses();
    let ((_dev_a, a), (dev_b, b)) = (roce_node(ip_a), roce_node(ip_b));
    let ah = ah_to(&a, &dev_b);
    b.qp.post_recv(&[recv(&b, 1, 0, 256)]).expect("recv");
    let op = WrOpcode::UdSend {
        ah,
        remote_qpn: b.qp.qp_num(),
        remote_qkey: QKEY + 1,
        imm_data: None,
    };
    a.qp.post_send(&[wr(&a, 2, op, 0, 8)]).expect("send");
    let counted = counters_until(&dev_b, |c| c.dropped == 1);
    assert_eq!(
        counted,
        LinkCounters {
            bad_icrc: 0,
            dropped: 1,
            ..LinkCounters::default()
        }
    );
    // A packet whose last byte (the ICRC's) was flipped, from a plain socket.
    let raw = UdpSocket::bind((ip_a, 0)).expect("raw socket");
    let mut bytes = vec![0x64, 0x40, 0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 0];
    bytes.extend_from_slice(&[0; 8 + 4]);
    raw.send_to(&bytes, (ip_b, 4791)).expect("send");
    let counted = counters_until(&dev_b, |c| c.bad_icrc == 1);
    assert_eq!(
        counted,
        LinkCounters {
            bad_icrc: 1,
            dropped: 1,
            ..LinkCounters::default()
        }
    );
    assert!(drain(&b.cq).is_empty(), "nothing was delivered");
}

#[test]
fn an_address_in_use_is_refused() {
    let (ip, _) = addresses();
    let (_dev, _) = roce_node(ip);
    let mut config = SoftConfig::new(unique_name("roce-dup"));
    config.roce = Some(SocketAddr::new(IpAddr::V4(ip), 0));
    assert!(matches!(config.probe(), Err(Error::AlreadyExists(_))));
}
