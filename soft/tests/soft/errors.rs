//! Posting rules (refused at post time with the failing index) and
//! completion statuses (an error moves the QP to ERR and flushes).

use ibops::prelude::*;
use ibops_soft::SoftConfig;
use std::time::{Duration, Instant};

use crate::common::{
    ALL_REMOTE, CAP, Node, device, drain, node, one, rc_pair, rc_pair_with, rdma_read, rdma_write,
    recv, unique_name, wr,
};

fn bad_wr(index: usize, reason: WrError) -> Result<(), Error> {
    Err(Error::BadWr { index, reason })
}

fn statuses(cq: &Cq) -> Vec<(u64, WcStatus)> {
    drain(cq).iter().map(|c| (c.wr_id, c.status)).collect()
}

#[test]
fn post_send_below_rts_fails() {
    let dev = device();
    let a = node(&dev, QpType::Rc, 64);
    let send = [wr(&a, 1, WrOpcode::Send, 0, 8)];
    assert_eq!(a.qp.post_send(&send), bad_wr(0, WrError::InvalidState));
    let (attr, mask) = QpAttr::rc_init(1, ALL_REMOTE);
    a.qp.modify(&attr, mask).expect("init");
    assert_eq!(a.qp.post_send(&send), bad_wr(0, WrError::InvalidState));
    let (attr, mask) = QpAttr::rc_rtr(a.qp.qp_num(), Mtu::Mtu1024, 1);
    a.qp.modify(&attr, mask).expect("rtr");
    assert_eq!(a.qp.post_send(&send), bad_wr(0, WrError::InvalidState));
}

#[test]
fn post_recv_in_reset_fails_and_works_from_init() {
    let dev = device();
    let a = node(&dev, QpType::Rc, 64);
    assert_eq!(
        a.qp.post_recv(&[recv(&a, 1, 0, 8)]),
        bad_wr(0, WrError::InvalidState)
    );
    let (attr, mask) = QpAttr::rc_init(1, ALL_REMOTE);
    a.qp.modify(&attr, mask).expect("init");
    a.qp.post_recv(&[recv(&a, 1, 0, 8)])
        .expect("INIT takes receives");
}

#[test]
fn too_many_sges_fails_at_its_index_after_posting_the_ones_before() {
    let (_dev, a, b) = rc_pair(256);
    let sges = vec![a.mr.sge(0, 1).expect("sge"); CAP.max_send_sge as usize + 1];
    let list = [
        wr(&a, 1, rdma_write(&b, 0), 0, 8),
        wr(&a, 2, rdma_write(&b, 8), 0, 8),
        SendWr::new(3, rdma_write(&b, 16), sges).signaled(),
        wr(&a, 4, rdma_write(&b, 24), 0, 8),
    ];
    assert_eq!(a.qp.post_send(&list), bad_wr(2, WrError::TooManySge));
    assert_eq!(
        statuses(&a.cq),
        [(1, WcStatus::Success), (2, WcStatus::Success)]
    );
    let recv_sges = vec![b.mr.sge(0, 1).expect("sge"); CAP.max_recv_sge as usize + 1];
    assert_eq!(
        b.qp.post_recv(&[RecvWr::new(1, recv_sges)]),
        bad_wr(0, WrError::TooManySge)
    );
}

#[test]
fn a_full_send_queue_fails_until_completions_are_polled() {
    let (_dev, a, b) = rc_pair(64);
    let depth = CAP.max_send_wr as u64;
    let list: Vec<SendWr> = (0..=depth)
        .map(|i| wr(&a, i, rdma_write(&b, 0), 0, 8))
        .collect();
    assert_eq!(
        a.qp.post_send(&list),
        bad_wr(depth as usize, WrError::QueueFull)
    );
    assert_eq!(a.qp.post_send(&list[..1]), bad_wr(0, WrError::QueueFull));
    assert_eq!(drain(&a.cq).len() as u64, depth);
    a.qp.post_send(&list[..1]).expect("polling freed the slots");
}

#[test]
fn unsignaled_requests_hold_their_slots_until_a_signaled_one_is_polled() {
    let (_dev, a, b) = rc_pair(64);
    let depth = CAP.max_send_wr as u64;
    let quiet: Vec<SendWr> = (0..depth - 1)
        .map(|i| SendWr::new(i, rdma_write(&b, 0), [a.mr.sge(0, 8).expect("sge")]))
        .collect();
    a.qp.post_send(&quiet).expect("unsignaled");
    a.qp.post_send(&[wr(&a, 99, rdma_write(&b, 0), 0, 8)])
        .expect("last slot");
    assert_eq!(a.qp.post_send(&quiet[..1]), bad_wr(0, WrError::QueueFull));
    assert_eq!(one(&a.cq).wr_id, 99);
    a.qp.post_send(&quiet).expect("all slots free again");
}

#[test]
fn a_full_receive_queue_fails_at_its_index() {
    let (_dev, _a, b) = rc_pair(64);
    let list: Vec<RecvWr> = (0..=CAP.max_recv_wr as u64)
        .map(|i| recv(&b, i, 0, 8))
        .collect();
    assert_eq!(
        b.qp.post_recv(&list),
        bad_wr(CAP.max_recv_wr as usize, WrError::QueueFull)
    );
}

#[test]
fn a_bad_lkey_is_a_local_protection_error_and_flushes_the_rest() {
    let (_dev, a, b) = rc_pair(64);
    b.qp.post_recv(&[recv(&b, 50, 0, 8)]).expect("recv");
    let mut bad = wr(&a, 2, rdma_write(&b, 0), 0, 8);
    bad.sg_list[0].lkey ^= 0x100;
    let list = [
        wr(&a, 1, rdma_write(&b, 0), 0, 8),
        bad,
        wr(&a, 3, rdma_write(&b, 0), 0, 8),
    ];
    a.qp.post_send(&list).expect("all posted");
    assert_eq!(
        statuses(&a.cq),
        [
            (1, WcStatus::Success),
            (2, WcStatus::LocProtErr),
            (3, WcStatus::WrFlushErr)
        ]
    );
    assert_eq!(a.qp.state(), Ok(QpState::Err));
    // In ERR, posted requests are flushed rather than refused.
    a.qp.post_send(&[wr(&a, 4, WrOpcode::Send, 0, 8)])
        .expect("post in ERR");
    assert_eq!(statuses(&a.cq), [(4, WcStatus::WrFlushErr)]);
    // The responder is unaffected.
    assert_eq!(b.qp.state(), Ok(QpState::Rts));
}

#[test]
fn an_address_outside_the_local_region_is_a_local_protection_error() {
    let (_dev, a, b) = rc_pair(64);
    // Built by hand: `Mr::sge` refuses bytes outside the region.
    let sge = Sge::new(a.mr.addr() + 60, 8, a.mr.lkey());
    a.qp.post_send(&[SendWr::new(1, rdma_write(&b, 0), [sge]).signaled()])
        .expect("posted");
    assert_eq!(statuses(&a.cq), [(1, WcStatus::LocProtErr)]);
}

#[test]
fn an_mr_of_another_pd_is_a_local_protection_error() {
    let (dev, a, b) = rc_pair(64);
    let other = node(&dev, QpType::Rc, 64);
    let list = [SendWr::new(1, rdma_write(&b, 0), [other.mr.sge(0, 8).expect("sge")]).signaled()];
    a.qp.post_send(&list).expect("posted");
    assert_eq!(statuses(&a.cq), [(1, WcStatus::LocProtErr)]);
}

#[test]
fn a_bad_rkey_is_a_remote_access_error() {
    let (_dev, a, b) = rc_pair(64);
    let op = WrOpcode::RdmaWrite {
        remote_addr: b.mr.addr(),
        rkey: b.mr.rkey() ^ 0x100,
    };
    a.qp.post_send(&[wr(&a, 1, op, 0, 8)]).expect("posted");
    assert_eq!(statuses(&a.cq), [(1, WcStatus::RemAccessErr)]);
    assert_eq!(a.qp.state(), Ok(QpState::Err));
}

#[test]
fn a_remote_address_out_of_bounds_is_a_remote_access_error() {
    let (_dev, a, b) = rc_pair(64);
    a.qp.post_send(&[wr(&a, 1, rdma_read(&b, 60), 0, 8)])
        .expect("posted");
    assert_eq!(statuses(&a.cq), [(1, WcStatus::RemAccessErr)]);
}

#[test]
fn rights_the_remote_region_lacks_are_a_remote_access_error() {
    let (_dev, a, b) = rc_pair(64);
    let read_only =
        b.pd.reg_mr(&UserMemory::whole(&b.buf), AccessFlags::REMOTE_READ)
            .expect("mr");
    let op = WrOpcode::RdmaWrite {
        remote_addr: read_only.addr(),
        rkey: read_only.rkey(),
    };
    a.qp.post_send(&[wr(&a, 1, op, 0, 8)]).expect("posted");
    assert_eq!(statuses(&a.cq), [(1, WcStatus::RemAccessErr)]);
}

#[test]
fn rights_the_responder_qp_lacks_are_a_remote_access_error() {
    let (_dev, a, b) = rc_pair_with(64, AccessFlags::REMOTE_WRITE | AccessFlags::LOCAL_WRITE, 7);
    a.qp.post_send(&[wr(&a, 1, rdma_write(&b, 0), 0, 8)])
        .expect("write allowed");
    a.qp.post_send(&[wr(&a, 2, rdma_read(&b, 0), 0, 8)])
        .expect("posted");
    assert_eq!(
        statuses(&a.cq),
        [(1, WcStatus::Success), (2, WcStatus::RemAccessErr)]
    );
}

#[test]
fn no_receive_with_rnr_retry_0_is_rnr_retry_exceeded_at_once() {
    let (_dev, a, _b) = rc_pair_with(64, crate::common::ALL_REMOTE, 0);
    a.qp.post_send(&[wr(&a, 1, WrOpcode::Send, 0, 8)])
        .expect("posted");
    assert_eq!(statuses(&a.cq), [(1, WcStatus::RnrRetryExcErr)]);
}

/// Sets `node`'s RNR NAK timer code (what its requesters wait for).
fn set_min_rnr_timer(node: &Node, code: u8) {
    let attr = QpAttr {
        qp_state: QpState::Rts,
        min_rnr_timer: code,
        ..QpAttr::default()
    };
    node.qp
        .modify(&attr, QpAttrMask::STATE | QpAttrMask::MIN_RNR_TIMER)
        .expect("min_rnr_timer");
}

/// Waits up to five seconds for the first completion on `cq`.
fn first_within_5s(cq: &Cq) -> Option<WorkCompletion> {
    let start = Instant::now();
    let mut wc = [WorkCompletion::default(); 1];
    while start.elapsed() < Duration::from_secs(5) {
        if cq.poll(&mut wc).expect("poll") == 1 {
            return Some(wc[0]);
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    None
}

/// Before: a finite `rnr_retry` failed at the first RNR NAK, with no wait.
#[test]
#[cfg_attr(miri, ignore = "waits on the wall clock")]
fn finite_rnr_retry_waits_the_rnr_timer_between_retries_then_fails() {
    let (_dev, a, b) = rc_pair_with(64, crate::common::ALL_REMOTE, 2);
    set_min_rnr_timer(&b, 14); // 1.28 ms
    let start = Instant::now();
    a.qp.post_send(&[wr(&a, 1, WrOpcode::Send, 0, 8)])
        .expect("posted");
    let wc = first_within_5s(&a.cq).expect("a completion");
    let waited = start.elapsed();
    assert_eq!((wc.wr_id, wc.status), (1, WcStatus::RnrRetryExcErr));
    assert!(
        waited >= Duration::from_micros(2 * 1280),
        "two retries, each after 1.28 ms: {waited:?}"
    );
    assert_eq!(a.qp.state().expect("state"), QpState::Err);
}

#[test]
#[cfg_attr(miri, ignore = "waits on the wall clock")]
fn a_receive_posted_before_the_rnr_timer_expires_is_taken_by_the_retry() {
    let (_dev, a, b) = rc_pair_with(64, crate::common::ALL_REMOTE, 3);
    set_min_rnr_timer(&b, 27); // 122.88 ms
    a.buf.write(0, b"retried!").expect("write");
    let start = Instant::now();
    a.qp.post_send(&[wr(&a, 1, WrOpcode::Send, 0, 8)])
        .expect("posted");
    b.qp.post_recv(&[recv(&b, 2, 0, 8)]).expect("recv");
    if start.elapsed() < Duration::from_millis(100) {
        assert_eq!(drain(&b.cq), [], "the requester retries at its timer");
    }
    let wc = first_within_5s(&a.cq).expect("a completion");
    assert_eq!((wc.wr_id, wc.status), (1, WcStatus::Success));
    assert!(start.elapsed() >= Duration::from_micros(122_880));
    assert_eq!(&b.buf.to_vec()[..8], b"retried!");
}

#[test]
fn a_receive_too_small_fails_both_sides() {
    let (_dev, a, b) = rc_pair(64);
    b.qp.post_recv(&[recv(&b, 7, 0, 4), recv(&b, 8, 0, 4)])
        .expect("recv");
    a.qp.post_send(&[wr(&a, 1, WrOpcode::Send, 0, 8)])
        .expect("posted");
    assert_eq!(statuses(&a.cq), [(1, WcStatus::RemInvReqErr)]);
    // The responder completes the receive in error, goes to ERR and
    // flushes the receive behind it.
    assert_eq!(
        statuses(&b.cq),
        [(7, WcStatus::LocLenErr), (8, WcStatus::WrFlushErr)]
    );
    assert_eq!(b.qp.state(), Ok(QpState::Err));
}

#[test]
fn a_receive_into_memory_without_local_write_fails_at_the_responder() {
    let (_dev, a, b) = rc_pair(64);
    let ro =
        b.pd.reg_mr(&UserMemory::whole(&b.buf), AccessFlags::REMOTE_READ)
            .expect("mr");
    b.qp.post_recv(&[RecvWr::new(7, [ro.sge(0, 8).expect("sge")])])
        .expect("recv");
    a.qp.post_send(&[wr(&a, 1, WrOpcode::Send, 0, 8)])
        .expect("posted");
    assert_eq!(statuses(&a.cq), [(1, WcStatus::RemOpErr)]);
    assert_eq!(statuses(&b.cq), [(7, WcStatus::LocProtErr)]);
}

#[test]
fn a_misaligned_atomic_is_a_remote_invalid_request() {
    let (_dev, a, b) = rc_pair(64);
    let op = WrOpcode::AtomicFetchAndAdd {
        remote_addr: b.mr.addr() + 4,
        rkey: b.mr.rkey(),
        compare_add: 1,
    };
    a.qp.post_send(&[wr(&a, 1, op, 0, 8)]).expect("posted");
    assert_eq!(statuses(&a.cq), [(1, WcStatus::RemInvReqErr)]);
}

#[test]
fn atomic_work_requests_are_checked_at_post() {
    let (_dev, a, b) = rc_pair(64);
    let op = WrOpcode::AtomicFetchAndAdd {
        remote_addr: b.mr.addr(),
        rkey: b.mr.rkey(),
        compare_add: 1,
    };
    assert_eq!(
        a.qp.post_send(&[wr(&a, 1, op.clone(), 0, 4)]),
        bad_wr(0, WrError::InvalidField)
    );
    let mut config = SoftConfig::new(unique_name("noatomic"));
    config.atomics = false;
    let dev = config.probe().expect("probe");
    let n = node(&dev, QpType::Rc, 64);
    n.qp.connect_rc(n.qp.qp_num(), ALL_REMOTE, 7)
        .expect("loopback");
    assert_eq!(
        n.qp.post_send(&[wr(&n, 1, op, 0, 8)]),
        bad_wr(0, WrError::InvalidOpcode)
    );
    assert_eq!(
        dev.query_device().expect("attr").atomic_cap,
        AtomicCap::None
    );
}

#[test]
fn a_ud_opcode_on_an_rc_qp_is_refused() {
    let (_dev, a, b) = rc_pair(64);
    let ah =
        a.pd.create_ah(&AhAttr {
            port_num: 1,
            ..AhAttr::default()
        })
        .expect("ah");
    let op = WrOpcode::UdSend {
        ah,
        remote_qpn: b.qp.qp_num(),
        remote_qkey: 0,
        imm_data: None,
    };
    assert_eq!(
        a.qp.post_send(&[wr(&a, 1, op, 0, 8)]),
        bad_wr(0, WrError::InvalidOpcode)
    );
}

#[test]
fn error_state_flushes_posted_receives_and_new_ones() {
    let (_dev, _a, b) = rc_pair(64);
    b.qp.post_recv(&[recv(&b, 1, 0, 8), recv(&b, 2, 0, 8)])
        .expect("recv");
    let (attr, mask) = QpAttr::to_state(QpState::Err);
    b.qp.modify(&attr, mask).expect("to ERR");
    assert_eq!(
        statuses(&b.cq),
        [(1, WcStatus::WrFlushErr), (2, WcStatus::WrFlushErr)]
    );
    b.qp.post_recv(&[recv(&b, 3, 0, 8)]).expect("post in ERR");
    assert_eq!(statuses(&b.cq), [(3, WcStatus::WrFlushErr)]);
}

#[test]
fn a_destroyed_peer_is_transport_retry_exceeded() {
    let (_dev, a, b) = rc_pair(64);
    let Node { qp, .. } = b;
    qp.destroy().expect("destroy peer");
    a.qp.post_send(&[wr(&a, 1, WrOpcode::Send, 0, 8)])
        .expect("posted");
    assert_eq!(statuses(&a.cq), [(1, WcStatus::RetryExcErr)]);
}

#[test]
fn a_peer_not_ready_to_receive_is_transport_retry_exceeded() {
    let dev = device();
    let a = node(&dev, QpType::Rc, 64);
    let b = node(&dev, QpType::Rc, 64);
    a.qp.connect_rc(b.qp.qp_num(), ALL_REMOTE, 7).expect("a");
    let (attr, mask) = QpAttr::rc_init(1, ALL_REMOTE);
    b.qp.modify(&attr, mask).expect("b only in INIT");
    a.qp.post_send(&[wr(&a, 1, rdma_write(&b, 0), 0, 8)])
        .expect("posted");
    assert_eq!(statuses(&a.cq), [(1, WcStatus::RetryExcErr)]);
}

#[test]
#[cfg_attr(miri, ignore = "waits on the wall clock")]
fn a_send_drained_while_its_rnr_timer_runs_is_flushed_once() {
    let (_dev, a, b) = rc_pair_with(64, crate::common::ALL_REMOTE, 1);
    set_min_rnr_timer(&b, 24); // 40.96 ms
    a.qp.post_send(&[wr(&a, 1, WrOpcode::Send, 0, 8)])
        .expect("posted");
    a.qp.drain_sq().expect("drain");
    assert_eq!(statuses(&a.cq), [(1, WcStatus::WrFlushErr)]);
    // The timer fires on a QP with nothing waiting: no second completion.
    std::thread::sleep(Duration::from_millis(60));
    b.qp.post_recv(&[recv(&b, 2, 0, 8)]).expect("recv");
    assert_eq!(statuses(&a.cq), []);
    assert_eq!(statuses(&b.cq), []);
}
