//! The RoCEv2 transport's responder and completer on any packet a peer
//! could send: an RC QP connected across the link (to a peer that does not
//! exist) takes fuzzed packets (their ICRC made right, so the checks past
//! it are reached). A RETH's or AtomicETH's address is taken relative to
//! the registered window (from 8 KiB below it to 8 KiB above it) and an
//! even rkey is replaced by the window's, so that the fuzzer reaches
//! accepted requests and both edges, not only unknown keys. Whatever the
//! packets say, the process does not panic, and nothing is read or written
//! outside what the peer may reach: the bytes of its buffer around the
//! registered window, and a buffer registered for local access only, never
//! change.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::OnceLock;

use ibops::prelude::*;
use ibops_soft::roce::Opcode;
use ibops_soft::{SoftConfig, inject_packet};
use libfuzzer_sys::fuzz_target;

const WINDOW: usize = 4096;
/// The peer the QP is connected to (nothing listens there).
const PEER: Ipv4Addr = Ipv4Addr::new(127, 0, 98, 2);
const GUARD: u8 = 0x5a;
/// What the window grants the peer, and the QP.
const ALL: AccessFlags = AccessFlags::LOCAL_WRITE
    .union(AccessFlags::REMOTE_WRITE)
    .union(AccessFlags::REMOTE_READ)
    .union(AccessFlags::REMOTE_ATOMIC);

struct Target {
    device: Device,
    qp: Arc<Qp>,
    cq: Arc<Cq>,
    recvs: Vec<RecvWr>,
    /// The window's MR, and the local-only one.
    mrs: [Arc<Mr>; 2],
    /// The registered window is its middle third.
    remote: Buffer,
    /// Registered for local access only.
    local: Buffer,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let mut config = SoftConfig::new("fuzz-responder");
        config.roce = Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 98, 1)), 0));
        config.roce_raw_ip = false;
        let device = config.probe().expect("probe");
        let pd = device.alloc_pd().expect("pd");
        let cq = device.create_cq(&CqInitAttr::new(4096)).expect("cq");
        let cap = QpCap::single_sge(64, 64);
        let qp = pd.create_qp(&QpInitAttr::new(QpType::Rc, &cq, &cq, cap)).expect("qp");
        let remote = Buffer::try_from(vec![GUARD; 3 * WINDOW]).expect("buffer");
        let local = Buffer::try_from(vec![GUARD; WINDOW]).expect("buffer");
        let window = UserMemory::range(&remote, WINDOW, WINDOW).expect("window");
        let mr = pd.reg_mr(&window, ALL).expect("mr");
        let local_mr = pd
            .reg_mr(&UserMemory::whole(&local), AccessFlags::LOCAL_WRITE)
            .expect("local mr");
        let recvs: Vec<RecvWr> = (0..64)
            .map(|i| RecvWr::new(i, [mr.sge(0, WINDOW as u32).expect("sge")]))
            .collect();
        let t = Target {
            device,
            qp,
            cq,
            recvs,
            mrs: [mr, local_mr],
            remote,
            local,
        };
        t.fresh();
        t
    })
}

impl Target {
    /// The QP from RESET, connected at PSN 0 with its receives posted and
    /// its CQ empty: each input meets the same QP.
    fn fresh(&self) {
        let (reset, mask) = QpAttr::to_state(QpState::Reset);
        self.qp.modify(&reset, mask).expect("reset");
        let mut wc = [WorkCompletion::default(); 64];
        while self.cq.poll(&mut wc).is_ok_and(|n| n > 0) {}
        let remote_end = RcEndpoint {
            lid: 0,
            qpn: 2,
            psn: 0,
            gid: Gid(PEER.to_ipv6_mapped().octets()),
        };
        let path = RcPath {
            access: ALL,
            max_dest_rd_atomic: 4,
            ..RcPath::default()
        };
        self.qp.connect_to(0, &remote_end, &path).expect("connect");
        self.qp.post_recv(&self.recvs).expect("receives");
    }
}

/// Points a RETH's or AtomicETH's address near the window, and an even
/// rkey at the window's MR.
fn aim(t: &Target, body: &mut [u8]) {
    let Some(layout) = body.first().and_then(|b| Opcode::from_code(*b)).map(Opcode::layout) else {
        return;
    };
    if !(layout.reth || layout.atomic_eth) || body.len() < 24 {
        return;
    }
    let fuzzed = u64::from_be_bytes(body[12..20].try_into().unwrap_or_default());
    let base = t.mrs[0].addr().wrapping_sub(2 * WINDOW as u64);
    let va = base.wrapping_add(fuzzed % (5 * WINDOW as u64));
    body[12..20].copy_from_slice(&va.to_be_bytes());
    if body[23] & 1 == 0 {
        body[20..24].copy_from_slice(&t.mrs[0].rkey().to_be_bytes());
    }
}

fuzz_target!(|input: &[u8]| {
    let t = target();
    let mut body = input.to_vec();
    aim(t, &mut body);
    let from = SocketAddr::new(IpAddr::V4(PEER), 4791);
    // Two packets: the input, and the input again (a duplicate, or the
    // next PSN's packet), through the same QP.
    let _ = inject_packet(&t.device, from, &body);
    let _ = inject_packet(&t.device, from, &body);
    t.remote.with(|bytes| {
        assert!(bytes[..WINDOW].iter().all(|b| *b == GUARD), "written below the window");
        assert!(bytes[2 * WINDOW..].iter().all(|b| *b == GUARD), "written above the window");
    });
    t.local.with(|bytes| {
        assert!(bytes.iter().all(|b| *b == GUARD), "a local-only region was written");
    });
    t.fresh();
});
