//! Setup shared by the suite: devices with unique names, a "node" (PD, CQ,
//! QP, buffer, MR) and connected RC pairs.

use std::sync::atomic::{AtomicU32, Ordering};

use ibops::prelude::*;
use ibops_soft::SoftConfig;

/// Every access right a responder can grant.
pub(crate) const ALL_REMOTE: AccessFlags = AccessFlags::LOCAL_WRITE
    .union(AccessFlags::REMOTE_WRITE)
    .union(AccessFlags::REMOTE_READ)
    .union(AccessFlags::REMOTE_ATOMIC);

/// A device name no other test uses.
pub(crate) fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A soft device with the default configuration.
pub(crate) fn device() -> Device {
    SoftConfig::new(unique_name("soft")).probe().expect("probe")
}

/// One side of a test: a PD, one CQ for both queues, a QP, and a buffer
/// registered with every access right.
pub(crate) struct Node {
    pub(crate) pd: Arc<Pd>,
    pub(crate) cq: Arc<Cq>,
    pub(crate) qp: Arc<Qp>,
    pub(crate) buf: Buffer,
    pub(crate) mr: Arc<Mr>,
}

/// Queue sizes of [`node`] QPs.
pub(crate) const CAP: QpCap = QpCap {
    max_send_wr: 16,
    max_recv_wr: 16,
    max_send_sge: 4,
    max_recv_sge: 4,
    max_inline_data: 64,
};

pub(crate) fn node(device: &Device, qp_type: QpType, buf_len: usize) -> Node {
    node_with(device, qp_type, buf_len, CAP)
}

/// A [`node`] whose QP has the queue sizes `cap`.
pub(crate) fn node_with(device: &Device, qp_type: QpType, buf_len: usize, cap: QpCap) -> Node {
    let pd = device.alloc_pd().expect("pd");
    let cq = device.create_cq(&CqInitAttr::new(256)).expect("cq");
    let qp = pd.create_qp(&qp_init(&cq, qp_type, cap)).expect("qp");
    let buf = Buffer::new(buf_len).expect("buffer");
    let mr = pd.reg_mr(&UserMemory::whole(&buf), ALL_REMOTE).expect("mr");
    Node {
        pd,
        cq,
        qp,
        buf,
        mr,
    }
}

pub(crate) fn qp_init(cq: &Arc<Cq>, qp_type: QpType, cap: QpCap) -> QpInitAttr {
    QpInitAttr::new(qp_type, cq, cq, cap)
}

/// Two RC nodes on one device, connected to each other in RTS with
/// `rnr_retry` 7.
pub(crate) fn rc_pair(buf_len: usize) -> (Device, Node, Node) {
    rc_pair_with(buf_len, ALL_REMOTE, 7)
}

pub(crate) fn rc_pair_with(
    buf_len: usize,
    access: AccessFlags,
    rnr_retry: u8,
) -> (Device, Node, Node) {
    let dev = device();
    let a = node(&dev, QpType::Rc, buf_len);
    let b = node(&dev, QpType::Rc, buf_len);
    a.qp.connect_rc(b.qp.qp_num(), access, rnr_retry)
        .expect("connect a");
    b.qp.connect_rc(a.qp.qp_num(), access, rnr_retry)
        .expect("connect b");
    (dev, a, b)
}

/// Every completion on `cq` now.
pub(crate) fn drain(cq: &Cq) -> Vec<WorkCompletion> {
    let mut all = Vec::new();
    let mut wc = [WorkCompletion::default(); 16];
    loop {
        let n = cq.poll(&mut wc).expect("poll");
        if n == 0 {
            return all;
        }
        all.extend_from_slice(&wc[..n]);
    }
}

/// The one completion on `cq`; fails when there is none or more.
pub(crate) fn one(cq: &Cq) -> WorkCompletion {
    let all = drain(cq);
    assert_eq!(all.len(), 1, "expected one completion, got {all:?}");
    all[0]
}

/// A signaled request of `opcode` over `len` bytes at `offset` of `node`'s MR.
pub(crate) fn wr(node: &Node, wr_id: u64, opcode: WrOpcode, offset: u64, len: u32) -> SendWr {
    SendWr::new(wr_id, opcode, [node.mr.sge(offset, len).expect("sge")]).signaled()
}

/// A receive of `len` bytes at `offset` of `node`'s MR.
pub(crate) fn recv(node: &Node, wr_id: u64, offset: u64, len: u32) -> RecvWr {
    RecvWr::new(wr_id, [node.mr.sge(offset, len).expect("sge")])
}

/// An RDMA WRITE to `offset` of `target`'s MR.
pub(crate) fn rdma_write(target: &Node, offset: u64) -> WrOpcode {
    WrOpcode::RdmaWrite {
        remote_addr: target.mr.addr() + offset,
        rkey: target.mr.rkey(),
    }
}

/// An RDMA READ from `offset` of `target`'s MR.
pub(crate) fn rdma_read(target: &Node, offset: u64) -> WrOpcode {
    WrOpcode::RdmaRead {
        remote_addr: target.mr.addr() + offset,
        rkey: target.mr.rkey(),
    }
}
